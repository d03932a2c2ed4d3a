-- Raw baseline of a keyset page: the statement the gateway runs for
-- GET /v1/leads?limit=20&id=gt.START&after=CURSOR (PageReader: tenant, filter, cursor, limit + 1),
-- at a random depth of tenant 1's 250,000 leads.
\set k random(0, 249999)
\set after 4 * :k + 1
\set start :after - 1
\set org 1
\set lim 21
SELECT json_build_object('id', t.id, 'org_id', t.org_id, 'customer_id', t.customer_id, 'title', t.title,
    'status', t.status, 'priority', t.priority, 'created_at', t.created_at, 'updated_at', t.updated_at)::text, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org AND t.id > :start AND (t.id) > (:after)
        ORDER BY t.id ASC LIMIT :lim) t
  ORDER BY t.id ASC;
