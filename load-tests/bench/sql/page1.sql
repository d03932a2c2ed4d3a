-- Raw baseline of keyset page 1: the statement the gateway runs (plain columns; the gateway encodes the JSON) for
-- GET /v1/leads?limit=20&order=created_at.desc (PageReader: tenant, order, limit + 1 for the next cursor).
\set org 1
\set lim 21
SELECT t.id, t.org_id, t.customer_id, t.title, t.status, t.priority, t.created_at, t.updated_at, t.created_at, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org ORDER BY t.created_at DESC, t.id DESC LIMIT :lim) t
  ORDER BY t.created_at DESC, t.id DESC;
