-- Tenant-safe references (issue 15): a lead may refer only to a customer of its own tenant.
-- With leads.customer_id alone referencing customers(id), a tenant-1 writer could point a lead at a
-- tenant-2 customer (and learn from 200 vs 409 which ids exist there). A composite key makes the
-- database refuse it in the writing statement itself, whatever the path (bulk, upsert, PATCH,
-- batch, NDJSON), with the same error as an id that does not exist at all. The gateway refuses to
-- start when a reference between tenant-scoped resources is not of this form (WriteSchema).

-- (org_id, id) is unique since id is; the unique index also serves the tenant's keyset order,
-- which the plain index customers_org_id_id_idx did.
ALTER TABLE customers ADD CONSTRAINT customers_org_id_id_key UNIQUE (org_id, id);
DROP INDEX IF EXISTS customers_org_id_id_idx;

-- A reference that already crosses tenants (none in the demo data) cannot satisfy the new key:
-- it is cut rather than kept pointing at another tenant's row.
UPDATE leads AS l SET customer_id = NULL
  FROM customers AS c
 WHERE l.customer_id = c.id AND c.org_id <> l.org_id;

ALTER TABLE leads DROP CONSTRAINT IF EXISTS leads_customer_id_fkey;
-- MATCH SIMPLE (the default): a lead without a customer (customer_id NULL) is not checked.
ALTER TABLE leads ADD CONSTRAINT leads_customer_same_tenant_fkey
  FOREIGN KEY (org_id, customer_id) REFERENCES customers (org_id, id);
