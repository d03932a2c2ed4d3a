package dev.sluice.maintenance;

import dev.sluice.catalog.Resource;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;

/**
 * Refreshes materialized views, one transaction per refresh:
 * {@code pg_try_advisory_xact_lock} on the view (so of several gateways only one refreshes it at a
 * time, and a gateway that dies mid-way leaves no lock behind), a due check under that lock (so a
 * scheduled refresh another gateway has just done is not repeated), {@code REFRESH MATERIALIZED
 * VIEW CONCURRENTLY} (readers keep reading the old rows meanwhile), and the new generation, time and
 * duration in {@code sluice_view_refreshes}, all committed together.
 */
final class ViewRefresher {
  private static final String ENSURE_SQL =
      "INSERT INTO sluice_view_refreshes (resource) VALUES ($1) ON CONFLICT (resource) DO NOTHING";
  private static final String LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))";
  private static final String DUE_SQL =
      "SELECT refreshed_at IS NULL OR refreshed_at <= now() - make_interval(secs => $2) "
          + "FROM sluice_view_refreshes WHERE resource = $1";
  private static final String POPULATED_SQL =
      "SELECT ispopulated FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = $1";
  private static final String RECORD_SQL =
      "INSERT INTO sluice_view_refreshes AS r (resource, generation, refreshed_at, duration_ms) VALUES ($1, 1, now(), $2) "
          + "ON CONFLICT (resource) DO UPDATE SET generation = r.generation + 1, refreshed_at = now(), duration_ms = $2 "
          + "RETURNING generation, refreshed_at";
  static final String STATE_SQL =
      "SELECT resource, generation, refreshed_at, extract(epoch FROM now() - refreshed_at)::float8, duration_ms "
          + "FROM sluice_view_refreshes WHERE resource = ANY($1) ORDER BY resource";

  /** What a refresh attempt did. {@code ran} false: not due, or another gateway holds the view's lock. */
  record Outcome(String resource, boolean ran, boolean busy, long generation, OffsetDateTime refreshedAt,
                 long durationMs) {
    JsonObject toJson() {
      return new JsonObject().put("resource", resource).put("refreshed", ran).put("generation", generation)
          .put("refreshedAt", refreshedAt == null ? null : refreshedAt.toString()).put("durationMs", durationMs);
    }
  }

  private final Pool pool;

  ViewRefresher(Pool pool) {
    this.pool = pool;
  }

  /** Makes sure the view has its row in the refresh log (a new one is due at once). */
  Future<Void> register(Resource view) {
    return pool.preparedQuery(ENSURE_SQL).execute(Tuple.of(view.name())).mapEmpty();
  }

  /** @param force refresh even when not due (an admin's request) */
  Future<Outcome> refresh(Resource view, boolean force) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_SQL).execute(Tuple.of("sluice:refresh:" + view.table()))
        .compose(rs -> {
          if (!rs.iterator().next().getBoolean(0)) return Future.succeededFuture(notRun(view, true));
          Future<Boolean> due = force ? Future.succeededFuture(true)
              : conn.preparedQuery(DUE_SQL).execute(Tuple.of(view.name(), view.view().refreshSeconds()))
                  .map(r -> r.size() == 0 || r.iterator().next().getBoolean(0));
          return due.compose(d -> d ? run(conn, view) : Future.succeededFuture(notRun(view, false)));
        }));
  }

  private static Outcome notRun(Resource view, boolean busy) {
    return new Outcome(view.name(), false, busy, -1, null, 0);
  }

  private static Future<Outcome> run(SqlConnection conn, Resource view) {
    long started = System.nanoTime();
    return conn.preparedQuery(POPULATED_SQL).execute(Tuple.of(view.table()))
        // CONCURRENTLY is refused on a view created WITH NO DATA: its first refresh is a plain one.
        // The table name comes from the catalog, checked against the schema at start.
        .compose(rs -> conn.query("REFRESH MATERIALIZED VIEW "
            + (rs.iterator().next().getBoolean(0) ? "CONCURRENTLY " : "") + view.table()).execute())
        .compose(x -> {
          long ms = (System.nanoTime() - started) / 1_000_000;
          return conn.preparedQuery(RECORD_SQL).execute(Tuple.of(view.name(), ms)).map(rs -> {
            Row row = rs.iterator().next();
            return new Outcome(view.name(), true, false, row.getLong(0), row.getOffsetDateTime(1), ms);
          });
        });
  }
}
