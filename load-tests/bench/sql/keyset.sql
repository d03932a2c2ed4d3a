-- Raw baseline of a keyset page: the statement the gateway runs (plain columns; the gateway encodes the JSON) for
-- GET /v1/leads?limit=20&id=gt.START&after=CURSOR (PageReader: tenant, filter, cursor, limit + 1),
-- at a random depth of tenant 1's 250,000 leads.
\set k random(0, 249999)
\set after 4 * :k + 1
\set start :after - 1
\set org 1
\set lim 21
SELECT t.id, t.org_id, t.customer_id, t.title, t.status, t.priority, t.created_at, t.updated_at, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org AND t.id > :start AND (t.id) > (:after)
        ORDER BY t.id ASC LIMIT :lim) t
  ORDER BY t.id ASC;
