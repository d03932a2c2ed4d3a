package dev.sluice.catalog;

/**
 * A resource read from a materialized view: readable like a table, never writable, refreshed by
 * the gateway with {@code REFRESH MATERIALIZED VIEW CONCURRENTLY} (which needs a unique index on
 * plain columns; checked at start).
 *
 * @param refreshSeconds how old the view may get before the scheduler refreshes it; 0 = only when
 *     an admin asks ({@code POST /admin/refresh/{resource}})
 */
public record MaterializedView(int refreshSeconds) {}
