-- Raw baseline of an offset page: the statement the gateway runs (plain columns; the gateway encodes the JSON) for
-- GET /v1/leads?page=N&limit=20 (PageReader, offset mode), N random in 1..500.
\set page random(1, 500)
\set off (:page - 1) * 20
\set org 1
\set lim 20
SELECT t.id, t.org_id, t.customer_id, t.title, t.status, t.priority, t.created_at, t.updated_at, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org
        ORDER BY t.id ASC LIMIT :lim OFFSET :off) t
  ORDER BY t.id ASC;
