-- Raw baseline of an offset page: the statement the gateway runs for
-- GET /v1/leads?page=N&limit=20 (PageReader, offset mode), N random in 1..500.
\set page random(1, 500)
\set off (:page - 1) * 20
\set org 1
\set lim 20
SELECT json_build_object('id', t.id, 'org_id', t.org_id, 'customer_id', t.customer_id, 'title', t.title,
    'status', t.status, 'priority', t.priority, 'created_at', t.created_at, 'updated_at', t.updated_at)::text, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org
        ORDER BY t.id ASC LIMIT :lim OFFSET :off) t
  ORDER BY t.id ASC;
