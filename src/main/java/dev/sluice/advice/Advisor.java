package dev.sluice.advice;

import dev.sluice.config.OpsSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import dev.sluice.vector.VectorSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The maintenance advisor ({@code GET /admin/advice}, {@code sluice.admin.advice}): reads the
 * statistics views and turns what the guides check by hand into items, each with why, the numbers
 * behind it and the SQL to apply. It applies nothing by itself: an admin's request applies an
 * analyze or vacuum item ({@link #apply}); the only maintenance the gateway starts on its own is
 * {@link AutoAnalyze} after a large import.
 *
 * <p>Kinds: {@code analyze} (many rows changed since the last ANALYZE, the planner's estimates are
 * stale), {@code vacuum} (dead tuples over the threshold on a table that matters), {@code autovacuum}
 * (a hot table still on the global scale factors), {@code unused-index} (never scanned since the
 * statistics were reset, with its size), {@code missing-index} (sequential scans reading most of a
 * large table, with the statements behind them and the columns they filter on), {@code pool-size}
 * (the gateway's connections against max_connections) and {@code statement-timeout} (behind
 * PgBouncer, when the server has no default statement timeout).
 */
final class Advisor {
  /** Tables, with the figures every table item is judged on. */
  private static final String TABLES = "SELECT s.relname, s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze, s.seq_scan, "
      + "s.seq_tup_read, coalesce(s.idx_scan, 0), s.n_tup_upd + s.n_tup_del, "
      + "greatest(s.last_analyze, s.last_autoanalyze)::text, greatest(s.last_vacuum, s.last_autovacuum)::text, "
      + "coalesce(array_to_string(c.reloptions, ','), ''), pg_total_relation_size(s.relid), s.relid::int8 "
      + "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
      + "WHERE s.schemaname = current_schema() ORDER BY s.relname";
  private static final String SETTINGS = "SELECT current_setting('autovacuum_vacuum_scale_factor'), "
      + "current_setting('autovacuum_vacuum_threshold'), current_setting('autovacuum_analyze_scale_factor'), "
      + "current_setting('autovacuum_analyze_threshold'), current_setting('max_connections')::int, "
      + "current_setting('superuser_reserved_connections')::int, "
      + "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), "
      + "(SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database())";
  /** Indexes never scanned; unique ones enforce something and ANN ones are required by the catalog. */
  private static final String UNUSED = "SELECT s.indexrelname, s.relname, pg_relation_size(s.indexrelid), "
      + "pg_get_indexdef(s.indexrelid) FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid "
      + "JOIN pg_class ic ON ic.oid = s.indexrelid JOIN pg_am am ON am.oid = ic.relam "
      + "WHERE s.schemaname = current_schema() AND s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary "
      + "AND am.amname NOT IN ('hnsw', 'ivfflat') ORDER BY 3 DESC, 1";
  /** A table's columns, and whether each leads an index. */
  private static final String COLUMNS = "SELECT a.attname, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid "
      + "AND i.indkey[0] = a.attnum) FROM pg_attribute a WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped";
  /** The statements that name a table, costliest first (normalised text: constants are $n). */
  private static final String STATEMENTS = "SELECT left(query, 1000), calls, round(mean_exec_time::numeric, 3)::float8, "
      + "rows FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      + "AND query ~* ('\\m' || $1 || '\\M') AND query ~* '^\\s*(SELECT|WITH|UPDATE|DELETE)' "
      + "ORDER BY total_exec_time DESC LIMIT 3";
  /** A column compared with a parameter: "t.status = $3", "priority >= $1", "id = ANY($2)", "title ILIKE $4". */
  private static final Pattern COMPARED = Pattern.compile(
      "(?:\\b\\w+\\.)?\"?([a-z_][a-z0-9_]*)\"?\\s*(?:=|<>|!=|<=|>=|<|>|\\bI?LIKE\\b|=\\s*ANY\\s*\\()\\s*\\$\\d+",
      Pattern.CASE_INSENSITIVE);
  /** The number of gateways the Kubernetes manifests run: the connections must fit that many. */
  static final int GATEWAYS = 3;

  private final Pool pool;
  private final SluiceConfig config;
  private final OpsSettings.Db settings;

  Advisor(Pool pool, SluiceConfig config, OpsSettings.Db settings) {
    this.pool = pool;
    this.config = config;
    this.settings = settings;
  }

  Future<JsonObject> report() {
    JsonArray items = new JsonArray();
    return pool.query(SETTINGS).execute().map(rs -> rs.iterator().next()).compose(server ->
        pool.query(TABLES).execute().compose(tables -> {
          Future<Void> chain = Future.succeededFuture();
          for (Row t : tables) {
            analyze(t, server, items);
            vacuum(t, items);
            autovacuum(t, server, items);
            chain = chain.compose(v -> missingIndex(t, items));
          }
          return chain;
        })
        .compose(v -> pool.query(UNUSED).execute())
        .map(unused -> {
          unused.forEach(r -> items.add(unusedIndex(r, server.getString(7))));
          poolSize(server, items);
          statementTimeout(items);
          return new JsonObject().put("items", items).put("count", items.size())
              .put("statsSince", server.getString(7)).put("generatedAt", Instant.now().toString());
        }));
  }

  /**
   * Applies one item of a fresh report on an admin's request, when it is plain maintenance (ANALYZE,
   * VACUUM: nothing is lost and nothing is locked beyond what autovacuum does). Index and table-setting
   * changes stay the admin's to run. The table name comes from the statistics views; it is quoted.
   */
  Future<JsonObject> apply(String id) {
    return report().compose(r -> {
      JsonObject item = r.getJsonArray("items").stream().map(o -> (JsonObject) o)
          .filter(i -> i.getString("id").equals(id)).findFirst().orElse(null);
      if (item == null) {
        throw ApiError.notFound("No advice item '" + id + "' now: the advice is worked out afresh on each request.");
      }
      String kind = item.getString("kind");
      if (!kind.equals("analyze") && !kind.equals("vacuum")) {
        throw ApiError.badRequest("The gateway applies only analyze and vacuum items; run this item's SQL yourself.",
            new JsonObject().put("kind", kind).put("sql", item.getString("sql")));
      }
      String table = "\"" + item.getString("table").replace("\"", "\"\"") + "\"";
      String sql = kind.equals("analyze") ? "ANALYZE " + table : "VACUUM (ANALYZE) " + table;
      long started = System.nanoTime();
      return pool.query(sql).execute().map(x -> new JsonObject().put("applied", id).put("sql", sql)
          .put("ms", (System.nanoTime() - started) / 1_000_000));
    });
  }

  /** Rows changed since the last ANALYZE beyond autovacuum's own trigger, or never analysed at all. */
  private void analyze(Row t, Row server, JsonArray items) {
    String table = t.getString(0);
    long live = t.getLong(1);
    long modified = t.getLong(3);
    String last = t.getString(8);
    double threshold = Double.parseDouble(server.getString(3)) + Double.parseDouble(server.getString(2)) * live;
    boolean never = last == null && live + modified > 0;
    if (!never && (modified < Math.max(threshold, settings.minTableRows()))) return;
    items.add(item("analyze", table, never
            ? "The table has rows but has never been analysed: the planner guesses its row counts and value spread."
            : "More rows changed since the last ANALYZE than autovacuum's trigger (threshold + scale factor × rows): "
                + "the planner's estimates are stale until autovacuum gets to it, as after a bulk load.",
        new JsonObject().put("rowsChangedSinceAnalyze", modified).put("liveRows", live).put("lastAnalyze", last)
            .put("autovacuumTriggerRows", Math.round(threshold)),
        "ANALYZE " + table + ";"));
  }

  /** Dead tuples over the guides' 10 % on a table big enough to matter. */
  private void vacuum(Row t, JsonArray items) {
    String table = t.getString(0);
    long live = t.getLong(1);
    long dead = t.getLong(2);
    if (live + dead < settings.minTableRows()) return;
    double ratio = (double) dead / (live + dead);
    if (ratio <= settings.deadTupleRatio()) return;
    items.add(item("vacuum", table, "Dead tuples are over " + percent(settings.deadTupleRatio()) + " of the table: "
            + "scans read them and the table and its indexes grow until VACUUM makes the space reusable.",
        new JsonObject().put("deadRows", dead).put("liveRows", live).put("deadRatio", round(ratio))
            .put("lastVacuum", t.getString(9)).put("totalBytes", t.getLong(11)),
        "VACUUM (ANALYZE) " + table + ";"));
  }

  /** A hot table (many updates and deletes) still on the global autovacuum scale factors. */
  private void autovacuum(Row t, Row server, JsonArray items) {
    String table = t.getString(0);
    long live = t.getLong(1);
    long churn = t.getLong(7);
    String options = t.getString(10);
    if (live < settings.minTableRows() || churn < live / 2 || options.contains("autovacuum_vacuum_scale_factor")) return;
    items.add(item("autovacuum", table, "A hot table: updates and deletes since the statistics were reset are "
            + churn + " against " + live + " live rows, and with the global scale factor autovacuum waits for "
            + percent(Double.parseDouble(server.getString(0))) + " of the table to be dead. The guides lower it per hot table.",
        new JsonObject().put("updatesAndDeletes", churn).put("liveRows", live)
            .put("vacuumScaleFactor", Double.parseDouble(server.getString(0)))
            .put("analyzeScaleFactor", Double.parseDouble(server.getString(2))),
        "ALTER TABLE " + table + " SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 50, "
            + "autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 50);"));
  }

  /**
   * Sequential scans that read most of a large table, with the statements that name it and the
   * columns they compare with parameters that no index leads with.
   */
  private Future<Void> missingIndex(Row t, JsonArray items) {
    String table = t.getString(0);
    long live = t.getLong(1);
    long seqScans = t.getLong(4);
    long seqRead = t.getLong(5);
    long idxScans = t.getLong(6);
    if (live < settings.largeTableRows() || seqScans == 0 || seqRead / seqScans < live / 2) return Future.succeededFuture();
    Future<RowSet<Row>> statements = pool.preparedQuery(STATEMENTS).execute(Tuple.of(table)).otherwise(err -> null);
    Future<RowSet<Row>> columns = pool.preparedQuery(COLUMNS).execute(Tuple.of(t.getLong(12)));
    return Future.all(statements, columns).map(v -> {
      Set<String> tableColumns = new LinkedHashSet<>();
      Set<String> indexed = new LinkedHashSet<>();
      for (Row c : columns.result()) {
        tableColumns.add(c.getString(0));
        if (Boolean.TRUE.equals(c.getBoolean(1))) indexed.add(c.getString(0));
      }
      JsonArray queries = new JsonArray();
      Set<String> candidates = new LinkedHashSet<>();
      if (statements.result() != null) {
        for (Row s : statements.result()) {
          List<String> filtered = comparedColumns(s.getString(0), tableColumns);
          queries.add(new JsonObject().put("query", s.getString(0)).put("calls", s.getLong(1))
              .put("meanMs", s.getDouble(2)).put("rows", s.getLong(3)).put("filterColumns", new JsonArray(filtered)));
          for (String c : filtered) if (!indexed.contains(c)) candidates.add(c);
        }
      }
      List<String> cols = new ArrayList<>(candidates).subList(0, Math.min(2, candidates.size()));
      String sql = cols.isEmpty() ? null : "CREATE INDEX CONCURRENTLY ON " + table + " (" + String.join(", ", cols) + ");";
      items.add(item("missing-index", table, "Sequential scans read on average " + seqRead / seqScans + " rows of "
              + live + " each time: a filter no index serves. "
              + (sql == null ? "No statement that names the table compares an unindexed column with a parameter; "
                  + "run EXPLAIN (ANALYZE, BUFFERS) on the statements below to find the filter."
                  : "The statements below filter on " + String.join(", ", cols) + ", which no index leads with."),
          new JsonObject().put("liveRows", live).put("seqScans", seqScans).put("seqRowsRead", seqRead)
              .put("avgRowsPerSeqScan", seqRead / seqScans).put("indexScans", idxScans).put("statements", queries),
          sql));
      return null;
    });
  }

  /** The columns of {@code table} a statement compares with a parameter, in order of appearance. */
  static List<String> comparedColumns(String sql, Set<String> tableColumns) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = COMPARED.matcher(sql);
    while (m.find()) {
      String c = m.group(1).toLowerCase(java.util.Locale.ROOT);
      if (tableColumns.contains(c)) out.add(c);
    }
    return new ArrayList<>(out);
  }

  private static JsonObject unusedIndex(Row r, String statsSince) {
    String index = r.getString(0);
    return item("unused-index", r.getString(1), "Never scanned since the statistics were reset (" + statsSince
            + "), yet every write to the table maintains it and it takes space. Check a replica's statistics too "
            + "before dropping: reads there do not count here.",
        new JsonObject().put("index", index).put("bytes", r.getLong(2)).put("definition", r.getString(3)).put("scans", 0),
        "DROP INDEX CONCURRENTLY " + index + ";");
  }

  /**
   * The gateway's connections to the primary against max_connections: with the Kubernetes
   * manifests' gateways and what else is connected now, is there room?
   */
  private void poolSize(Row server, JsonArray items) {
    int max = server.getInteger(4) - server.getInteger(5);
    long now = server.getLong(6);
    VectorSettings vector = VectorSettings.from(config);
    SluiceConfig.Pg pg = config.pg();
    int reads = pg.instances() * pg.connectionsPerVerticle();
    int writes = config.writes().verticleInstances() * config.writes().poolSize();
    int search = vector.verticles(config.eventLoops()) * vector.poolSize();
    int own = 2 + 1 + 1 + (pg.replicas().urls().isEmpty() ? 0 : 1); // diagnostics, gauges, advice, replica monitor
    int perGateway = reads + writes + search + own;
    int fit = perGateway == 0 ? 0 : max / perGateway;
    double used = (double) now / max;
    if (fit >= GATEWAYS && used <= settings.connectionsRatio()) return;
    String sql = pg.pgbouncer() ? "-- behind PgBouncer: lower pg.poolSize / writes.poolSize / vector.poolSize, "
        + "or raise PgBouncer's default_pool_size within max_connections"
        : "ALTER SYSTEM SET max_connections = " + Math.max(max, perGateway * GATEWAYS + (int) now) + "; -- needs a restart";
    items.add(item("pool-size", null, "Each gateway opens up to " + perGateway + " connections to the primary; "
            + max + " are available (max_connections less the superuser reserve) and " + now + " are open now, so "
            + fit + " gateway(s) fit where the manifests run " + GATEWAYS + ". Raise max_connections, lower the pools, "
            + "or put PgBouncer in transaction mode in front (pg.pgbouncer).",
        new JsonObject().put("perGateway", new JsonObject().put("reads", reads).put("writes", writes).put("search", search)
                .put("own", own).put("total", perGateway))
            .put("maxConnections", max).put("openNow", now).put("openRatio", round(used)).put("gatewaysThatFit", fit),
        sql));
  }

  /** Behind PgBouncer statements outside a transaction have only the server's default timeout. */
  private void statementTimeout(JsonArray items) {
    if (!config.pg().pgbouncer()) return;
    items.add(item("statement-timeout", null, "Behind PgBouncer the gateway sets statement_timeout only inside its "
            + "own transactions (SET LOCAL); single statements have the server's default for the role, which must "
            + "bound them (pg.statementTimeoutMs) if the pooler does not (connect_query).",
        new JsonObject().put("statementTimeoutMs", config.pg().statementTimeoutMs()),
        "ALTER ROLE CURRENT_USER SET statement_timeout = " + config.pg().statementTimeoutMs() + ";"));
  }

  private static JsonObject item(String kind, String table, String why, JsonObject evidence, String sql) {
    String id = kind + (table == null ? "" : ":" + table)
        + (evidence.containsKey("index") ? ":" + evidence.getString("index") : "");
    return new JsonObject().put("id", id).put("kind", kind).put("table", table).put("why", why)
        .put("evidence", evidence).put("sql", sql);
  }

  private static String percent(double ratio) {
    return Math.round(ratio * 1000) / 10.0 + " %";
  }

  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }
}
