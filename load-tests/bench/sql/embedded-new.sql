-- Raw baseline of a filtered page with an embedded relation: the one statement the gateway runs for
-- GET /v1/leads?select=id,title,status,priority,customer(id,name)&status=eq.new&created_at=lt.T&order=created_at.desc&limit=20
-- (PageReader + JsonProjection). pgbench variables are numbers, so the status is a literal (one
-- script per status, picked at random) and T is to_timestamp() of a random point of the time line.
\set n random(20000, 1000000)
\set ts 1735689600 + 13 * :n
\set org 1
\set lim 21
SELECT t.id, t.title, t.status, t.priority, (SELECT json_build_object('id', t_0.id, 'name', t_0.name) FROM customers t_0
                 WHERE t_0.id = t.customer_id AND t_0.org_id = :org)::text, t.created_at, t.id
  FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = :org AND t.created_at < to_timestamp(:ts) AND t.status = 'new'
        ORDER BY t.created_at DESC, t.id DESC LIMIT :lim) t
  ORDER BY t.created_at DESC, t.id DESC;
