-- Materialized views as resources (issue 19): the dashboard statistics of guide 002 for this
-- schema, leads per organization, status and day, and the refresh log the gateway keeps.

-- One row per materialized-view resource: its refresh generation (bumped by every refresh, and
-- what the cache keys of the view's reads depend on), when the data were taken and how long the
-- last refresh ran. refreshed_at NULL: never refreshed by the gateway, due at once.
CREATE TABLE sluice_view_refreshes (
  resource     text PRIMARY KEY,
  generation   bigint NOT NULL DEFAULT 0,
  refreshed_at timestamptz,
  duration_ms  bigint
);

CREATE MATERIALIZED VIEW lead_stats_daily AS
SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') || '.' || status AS id,
       org_id,
       (created_at AT TIME ZONE 'UTC')::date AS day,
       status,
       count(*)::bigint AS leads,
       count(*) FILTER (WHERE priority >= 4)::bigint AS high_priority,
       round(avg(priority), 2) AS avg_priority
FROM leads
GROUP BY org_id, (created_at AT TIME ZONE 'UTC')::date, status;

-- REFRESH ... CONCURRENTLY needs a unique index on plain columns covering every row; it is also
-- the tenant's point reads and default keyset order (id is unique within an organization).
CREATE UNIQUE INDEX lead_stats_daily_key ON lead_stats_daily (org_id, id);
-- the tenant's newest-first dashboard pages
CREATE INDEX lead_stats_daily_org_day_idx ON lead_stats_daily (org_id, day DESC, id DESC);
