-- Raw baseline of a point read: the statement the gateway runs (plain columns; the gateway encodes the JSON) for GET /v1/leads/{id}
-- (PointReader: one id per statement here, as pgbench -S does; the gateway may coalesce more).
-- A random lead of tenant 1 (ids 1, 5, 9, ... of the 1M demo), tenant bound as a parameter.
\set k random(0, 249999)
\set id 4 * :k + 1
\set org 1
SELECT t.id, t.id, t.org_id, t.customer_id, t.title, t.status, t.priority, t.created_at, t.updated_at
  FROM leads t WHERE t.id = ANY(ARRAY[:id]::int8[]) AND t.org_id = :org;
