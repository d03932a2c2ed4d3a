-- Time partitions (issue 19): an event log range-partitioned by day on occurred_at. The gateway
-- creates the partitions ahead of time and retires the old ones (resources.events.partitioning);
-- this migration creates none, so the table takes rows once a gateway has run its first pass.
CREATE TABLE events (
  -- GENERATED ALWAYS: only the sequence assigns ids, so id stays unique across partitions even
  -- though PostgreSQL can only enforce (id, occurred_at)
  id          bigint GENERATED ALWAYS AS IDENTITY,
  org_id      bigint NOT NULL REFERENCES organizations (id),
  lead_id     bigint,   -- no foreign key: the log outlives deleted leads
  kind        text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
  detail      text,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  -- a partitioned table's primary key must include the partition key
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- the tenant's newest-first keyset pages; in the partition key's order, so a page reads only the
-- partitions it needs
CREATE INDEX events_org_occurred_idx ON events (org_id, occurred_at DESC, id DESC);
-- point reads and the tenant's default keyset order by id
CREATE INDEX events_org_id_idx ON events (org_id, id);
