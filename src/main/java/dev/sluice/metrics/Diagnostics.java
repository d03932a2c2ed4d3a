package dev.sluice.metrics;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GET /admin/db: each section a real catalog query, run on demand on a small pool of its own so
 * diagnostics never take a connection from the request path. Statement texts from
 * pg_stat_statements are PostgreSQL's normalised form (constants as $n).
 */
final class Diagnostics {
  private static final Map<String, String> SECTIONS = new LinkedHashMap<>();

  static {
    SECTIONS.put("topByMeanTime", "SELECT left(query, 300) AS query, calls, round(mean_exec_time::numeric, 3) AS mean_ms, "
        + "round(total_exec_time::numeric, 1) AS total_ms, rows FROM pg_stat_statements "
        + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        + "ORDER BY mean_exec_time DESC LIMIT 10");
    SECTIONS.put("topByCalls", "SELECT left(query, 300) AS query, calls, round(mean_exec_time::numeric, 3) AS mean_ms, "
        + "round(total_exec_time::numeric, 1) AS total_ms, rows FROM pg_stat_statements "
        + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        + "ORDER BY calls DESC LIMIT 10");
    SECTIONS.put("bufferCacheHitRatio", "SELECT round(sum(blks_hit)::numeric / nullif(sum(blks_hit) + sum(blks_read), 0), 4) "
        + "AS ratio, sum(blks_hit) AS hits, sum(blks_read) AS reads FROM pg_stat_database WHERE datname = current_database()");
    SECTIONS.put("tableSizes", "SELECT c.relname AS table, pg_total_relation_size(c.oid) AS total_bytes, "
        + "pg_relation_size(c.oid) AS table_bytes, pg_indexes_size(c.oid) AS index_bytes, c.reltuples::bigint AS estimated_rows "
        + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        + "WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY total_bytes DESC LIMIT 20");
    SECTIONS.put("indexSizes", "SELECT indexrelname AS index, relname AS table, pg_relation_size(indexrelid) AS bytes, "
        + "idx_scan AS scans FROM pg_stat_user_indexes ORDER BY bytes DESC LIMIT 20");
    SECTIONS.put("deadTuples", "SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead, "
        + "round(n_dead_tup::numeric / nullif(n_live_tup + n_dead_tup, 0), 4) AS dead_ratio, "
        + "last_autovacuum, last_vacuum FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT 20");
    SECTIONS.put("unusedIndexes", "SELECT s.indexrelname AS index, s.relname AS table, pg_relation_size(s.indexrelid) AS bytes "
        + "FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
        + "WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary ORDER BY bytes DESC");
    SECTIONS.put("longRunning", "SELECT pid, state, round(extract(epoch FROM now() - query_start)::numeric, 1) AS seconds, "
        + "wait_event_type, left(query, 300) AS query FROM pg_stat_activity "
        + "WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid() "
        + "AND now() - query_start > interval '5 seconds' ORDER BY query_start");
    SECTIONS.put("blockingLocks", "SELECT blocked.pid AS blocked_pid, left(blocked.query, 200) AS blocked_query, "
        + "blocking.pid AS blocking_pid, left(blocking.query, 200) AS blocking_query, "
        + "round(extract(epoch FROM now() - blocked.query_start)::numeric, 1) AS waiting_seconds "
        + "FROM pg_stat_activity blocked JOIN LATERAL unnest(pg_blocking_pids(blocked.pid)) AS b(pid) ON true "
        + "JOIN pg_stat_activity blocking ON blocking.pid = b.pid WHERE blocked.datname = current_database()");
  }

  private final Pool pool;

  Diagnostics(Pool pool) {
    this.pool = pool;
  }

  /** @param gatewayPool the request path's pool figures (size, in use, waiting) from the metrics registry */
  Future<JsonObject> report(JsonObject gatewayPool) {
    JsonObject out = new JsonObject().put("pool", gatewayPool);
    Future<Void> chain = Future.succeededFuture();
    for (Map.Entry<String, String> s : SECTIONS.entrySet()) {
      chain = chain.compose(v -> pool.query(s.getValue()).execute()
          .map(rows -> {
            out.put(s.getKey(), s.getKey().equals("bufferCacheHitRatio") ? rows(rows).getJsonObject(0) : rows(rows));
            return (Void) null;
          })
          .recover(err -> {
            out.put(s.getKey(), new JsonObject().put("error", "unavailable"));
            return Future.succeededFuture();
          }));
    }
    return chain.map(out);
  }

  private static JsonArray rows(RowSet<Row> rows) {
    JsonArray a = new JsonArray();
    for (Row r : rows) {
      JsonObject o = new JsonObject();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.getValue(i);
        o.put(r.getColumnName(i), v instanceof Number || v instanceof String || v instanceof Boolean || v == null ? v
            : v.toString());
      }
      a.add(o);
    }
    return a;
  }
}
