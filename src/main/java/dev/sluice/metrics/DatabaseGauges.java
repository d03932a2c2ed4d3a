package dev.sluice.metrics;

import dev.sluice.config.OpsSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The database's own figures in Prometheus, read from pg_stat_activity, pg_stat_database,
 * pg_stat_user_tables / pg_statio_user_tables and pg_stat_statements every {@code database.pollMs}
 * on a one-connection pool of its own, straight to PostgreSQL (past any PgBouncer) and with tracing
 * off, so its polls never count as the gateway's statements. Also gives the guides' thresholds on
 * these figures to the {@link SloEvaluator}, which alerts on them like on the others.
 *
 * <p>Per-table and per-statement series are {@link MultiGauge}s: each poll replaces the set, so a
 * dropped table or a statement that left the top list stops being exported.
 */
public final class DatabaseGauges {
  private static final Logger LOG = Logger.getLogger(DatabaseGauges.class.getName());
  /** Pools whose name starts with this are the gateway's own observers, not the request path. */
  static final String POOL_PREFIX = "sluice-diagnostics";
  static final List<String> STATES = List.of("active", "idle", "idle in transaction",
      "idle in transaction (aborted)", "fastpath function call", "disabled");

  private static final String CONNECTIONS = "SELECT coalesce(state, 'unknown'), count(*) FROM pg_stat_activity "
      + "WHERE backend_type = 'client backend' GROUP BY 1";
  private static final String DATABASE = "SELECT current_setting('max_connections')::int, "
      + "current_setting('superuser_reserved_connections')::int, pg_database_size(current_database()), "
      + "blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()";
  private static final String TABLES = "SELECT s.relname, s.n_live_tup, s.n_dead_tup, s.seq_scan, coalesce(s.idx_scan, 0), "
      + "extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8, "
      + "extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze))::float8, "
      + "coalesce(io.heap_blks_hit, 0), coalesce(io.heap_blks_read, 0), coalesce(io.idx_blks_hit, 0), "
      + "coalesce(io.idx_blks_read, 0) "
      + "FROM pg_stat_user_tables s JOIN pg_statio_user_tables io ON io.relid = s.relid "
      + "WHERE s.schemaname = current_schema() ORDER BY s.n_live_tup DESC, s.relname LIMIT $1";
  private static final String STATEMENTS = "SELECT queryid::text, calls, mean_exec_time, stddev_exec_time, "
      + "shared_blks_hit, shared_blks_read FROM pg_stat_statements "
      + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL "
      + "ORDER BY total_exec_time DESC LIMIT $1";

  private final Vertx vertx;
  private final OpsSettings.Db settings;
  private final Pool pool;
  /** Written by the polls (event loop), read by scrapes (another thread). */
  private final Map<String, Double> connections = new java.util.concurrent.ConcurrentHashMap<>();
  private final double[] database = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
  private final MultiGauge live;
  private final MultiGauge dead;
  private final MultiGauge deadRatio;
  private final MultiGauge vacuumAge;
  private final MultiGauge analyzeAge;
  private final MultiGauge indexUsage;
  private final MultiGauge heapHit;
  private final MultiGauge indexHit;
  private final MultiGauge statementMean;
  private final MultiGauge statementStddev;
  private final MultiGauge statementHit;
  private final MultiGauge statementCalls;
  /** The threshold readings of the last poll (null values: no data yet). */
  private volatile Readings readings = new Readings(null, null, null, null);
  private long timer = -1;
  private boolean polling;

  /** What the thresholds look at: the server's connections, the database's hit ratio, the worst table's. */
  record Readings(Double connectionsRatio, Double cacheHitRatio, Double indexHitRatio, Double deadTupleRatio) {}

  DatabaseGauges(Vertx vertx, SluiceConfig.Pg pg, OpsSettings.Db settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.settings = settings;
    this.pool = PgBuilder.pool().with(Database.poolOptions(pg, 1, POOL_PREFIX + "-gauges"))
        .connectingTo(Database.connectOptions(pg, Database.directUrl(pg), Math.max(1000, settings.pollMs()))
            .setTracingPolicy(TracingPolicy.IGNORE))
        .using(vertx).build();
    for (String state : STATES) connections.put(state, 0.0);
    for (String state : STATES) {
      Gauge.builder("sluice.db.connections", connections, c -> c.getOrDefault(state, 0.0)).tag("state", state)
          .description("Client connections to the server by state (pg_stat_activity)").register(registry);
    }
    Gauge.builder("sluice.db.connections.max", database, d -> d[0])
        .description("max_connections less superuser_reserved_connections").register(registry);
    Gauge.builder("sluice.db.size", database, d -> d[1]).baseUnit("bytes")
        .description("pg_database_size of the gateway's database").register(registry);
    Gauge.builder("sluice.db.cache.hit.ratio", database, d -> d[2])
        .description("Buffer cache hits over all block reads of the database (pg_stat_database)").register(registry);
    live = multi(registry, "sluice.db.table.live.tuples", null, "Live rows per table (pg_stat_user_tables)");
    dead = multi(registry, "sluice.db.table.dead.tuples", null, "Dead rows per table, waiting for VACUUM");
    deadRatio = multi(registry, "sluice.db.table.dead.ratio", null, "Dead over live plus dead rows per table");
    vacuumAge = multi(registry, "sluice.db.table.vacuum.age", "seconds", "Since the last (auto)vacuum (NaN: never)");
    analyzeAge = multi(registry, "sluice.db.table.analyze.age", "seconds", "Since the last (auto)analyze (NaN: never)");
    indexUsage = multi(registry, "sluice.db.table.index.usage.ratio", null, "Index scans over all scans per table");
    heapHit = multi(registry, "sluice.db.table.heap.hit.ratio", null, "Heap block hits over heap block reads per table");
    indexHit = multi(registry, "sluice.db.table.index.hit.ratio", null, "Index block hits over index block reads per table");
    statementMean = multi(registry, "sluice.db.statement.mean", "seconds", "pg_stat_statements top statements: mean time");
    statementStddev = multi(registry, "sluice.db.statement.stddev", "seconds", "... and its standard deviation");
    statementHit = multi(registry, "sluice.db.statement.hit.ratio", null, "... and its shared buffer hit ratio");
    statementCalls = multi(registry, "sluice.db.statement.calls", null, "... and its calls");
  }

  private static MultiGauge multi(MeterRegistry registry, String name, String unit, String description) {
    MultiGauge.Builder b = MultiGauge.builder(name).description(description);
    return (unit == null ? b : b.baseUnit(unit)).register(registry);
  }

  void start() {
    poll();
    timer = vertx.setPeriodic(settings.pollMs(), id -> poll());
  }

  Future<Void> stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    return pool.close();
  }

  /** The guides' thresholds on the last poll's figures, for the SLO evaluator. */
  List<SloEvaluator.Threshold> thresholds() {
    Readings r = readings;
    return List.of(
        new SloEvaluator.Threshold("db-connections", "ratio", r.connectionsRatio(), settings.connectionsRatio(), true),
        new SloEvaluator.Threshold("db-cache-hit-ratio", "ratio", r.cacheHitRatio(), settings.cacheHitRatio(), false),
        new SloEvaluator.Threshold("db-index-hit-ratio", "ratio", r.indexHitRatio(), settings.indexHitRatio(), false),
        new SloEvaluator.Threshold("db-dead-tuples", "ratio", r.deadTupleRatio(), settings.deadTupleRatio(), true));
  }

  private void poll() {
    if (polling) return; // a slow server: the poll still under way is the news
    polling = true;
    Future<RowSet<Row>> conns = pool.query(CONNECTIONS).execute();
    Future<RowSet<Row>> db = conns.compose(x -> pool.query(DATABASE).execute());
    Future<RowSet<Row>> tables = db.compose(x -> pool.preparedQuery(TABLES).execute(io.vertx.sqlclient.Tuple.of(settings.maxTables())));
    // pg_stat_statements may be missing (not preloaded): the other figures stand without it.
    Future<RowSet<Row>> statements = settings.topStatements() == 0 ? Future.succeededFuture(null)
        : tables.compose(x -> pool.preparedQuery(STATEMENTS).execute(io.vertx.sqlclient.Tuple.of(settings.topStatements()))
            .otherwise(err -> null));
    statements.onComplete(ar -> {
      polling = false;
      if (tables.failed()) {
        LOG.fine("database gauges: poll failed: " + tables.cause());
        return;
      }
      Double connRatio = connections(conns.result(), db.result());
      Readings tableReadings = tables(tables.result());
      if (ar.result() != null) statements(ar.result());
      readings = new Readings(connRatio, tableReadings.cacheHitRatio(), tableReadings.indexHitRatio(),
          tableReadings.deadTupleRatio());
    });
  }

  private Double connections(RowSet<Row> byState, RowSet<Row> dbRows) {
    double total = 0;
    for (String state : STATES) connections.put(state, 0.0);
    for (Row r : byState) {
      connections.put(r.getString(0), (double) r.getLong(1));
      total += r.getLong(1);
    }
    Row d = dbRows.iterator().next();
    double max = d.getInteger(0) - d.getInteger(1);
    database[0] = max;
    database[1] = d.getLong(2);
    long hit = d.getLong(3);
    long read = d.getLong(4);
    database[2] = hit + read == 0 ? Double.NaN : (double) hit / (hit + read);
    database[3] = hit + read >= settings.minBlocks() ? database[2] : Double.NaN;
    return max <= 0 ? null : total / max;
  }

  /** Exports the per-table series; gives the worst table's index hit ratio and dead-tuple ratio. */
  private Readings tables(RowSet<Row> rows) {
    List<MultiGauge.Row<?>> liveRows = new ArrayList<>();
    List<MultiGauge.Row<?>> deadRows = new ArrayList<>();
    List<MultiGauge.Row<?>> ratioRows = new ArrayList<>();
    List<MultiGauge.Row<?>> vacuumRows = new ArrayList<>();
    List<MultiGauge.Row<?>> analyzeRows = new ArrayList<>();
    List<MultiGauge.Row<?>> usageRows = new ArrayList<>();
    List<MultiGauge.Row<?>> heapRows = new ArrayList<>();
    List<MultiGauge.Row<?>> indexRows = new ArrayList<>();
    Double worstIndexHit = null;
    Double worstDead = null;
    for (Row r : rows) {
      Tags tags = Tags.of("table", r.getString(0));
      long liveTuples = r.getLong(1);
      long deadTuples = r.getLong(2);
      long seq = r.getLong(3);
      long idx = r.getLong(4);
      liveRows.add(MultiGauge.Row.of(tags, liveTuples));
      deadRows.add(MultiGauge.Row.of(tags, deadTuples));
      double dr = ratio(deadTuples, liveTuples + deadTuples);
      ratioRows.add(MultiGauge.Row.of(tags, dr));
      vacuumRows.add(MultiGauge.Row.of(tags, orNaN(r.getDouble(5))));
      analyzeRows.add(MultiGauge.Row.of(tags, orNaN(r.getDouble(6))));
      usageRows.add(MultiGauge.Row.of(tags, ratio(idx, idx + seq)));
      heapRows.add(MultiGauge.Row.of(tags, ratio(r.getLong(7), r.getLong(7) + r.getLong(8))));
      long idxHit = r.getLong(9);
      long idxTotal = idxHit + r.getLong(10);
      double ih = ratio(idxHit, idxTotal);
      indexRows.add(MultiGauge.Row.of(tags, ih));
      // The guides' alerts look at tables that matter: enough rows, enough index traffic.
      if (idxTotal >= settings.minBlocks() && (worstIndexHit == null || ih < worstIndexHit)) worstIndexHit = ih;
      if (liveTuples + deadTuples >= settings.minTableRows() && (worstDead == null || dr > worstDead)) worstDead = dr;
    }
    live.register(liveRows, true);
    dead.register(deadRows, true);
    deadRatio.register(ratioRows, true);
    vacuumAge.register(vacuumRows, true);
    analyzeAge.register(analyzeRows, true);
    indexUsage.register(usageRows, true);
    heapHit.register(heapRows, true);
    indexHit.register(indexRows, true);
    Double cache = Double.isNaN(database[3]) ? null : database[3];
    return new Readings(null, cache, worstIndexHit, worstDead);
  }

  private void statements(RowSet<Row> rows) {
    List<MultiGauge.Row<?>> mean = new ArrayList<>();
    List<MultiGauge.Row<?>> stddev = new ArrayList<>();
    List<MultiGauge.Row<?>> hit = new ArrayList<>();
    List<MultiGauge.Row<?>> calls = new ArrayList<>();
    for (Row r : rows) {
      Tags tags = Tags.of("queryid", r.getString(0));
      mean.add(MultiGauge.Row.of(tags, r.getDouble(2) / 1000.0));
      stddev.add(MultiGauge.Row.of(tags, r.getDouble(3) / 1000.0));
      hit.add(MultiGauge.Row.of(tags, ratio(r.getLong(4), r.getLong(4) + r.getLong(5))));
      calls.add(MultiGauge.Row.of(tags, r.getLong(1)));
    }
    statementMean.register(mean, true);
    statementStddev.register(stddev, true);
    statementHit.register(hit, true);
    statementCalls.register(calls, true);
  }

  private static double ratio(long part, long whole) {
    return whole == 0 ? Double.NaN : (double) part / whole;
  }

  private static double orNaN(Double v) {
    return v == null ? Double.NaN : v;
  }
}
