package dev.sluice.data;

import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.concurrent.TimeUnit;

/**
 * Builds the Postgres clients from configuration. In Vert.x 5 {@code PgBuilder.client()} is the
 * pipelined pooled client (single statements, no connection acquisition) and
 * {@code PgBuilder.pool()} the pool for transactions. Both bound their wait queue and time, so a
 * saturated database yields 503 overloaded instead of an unbounded queue.
 */
public final class Database {
  private Database() {}

  public static PgConnectOptions connectOptions(SluiceConfig.Pg pg) {
    return connectOptions(pg, pg.statementTimeoutMs());
  }

  /** @param statementTimeoutMs 0 for none (maintenance work such as the demo load) */
  public static PgConnectOptions connectOptions(SluiceConfig.Pg pg, int statementTimeoutMs) {
    return connectOptions(pg, pg.url(), statementTimeoutMs);
  }

  /** The same options for another server of the same database: a streaming replica. */
  public static PgConnectOptions connectOptions(SluiceConfig.Pg pg, String url, int statementTimeoutMs) {
    PgConnectOptions o = PgConnectOptions.fromUri(url)
        .setPipeliningLimit(pg.pipeliningLimit())
        .setCachePreparedStatements(pg.preparedStatementCacheSize() > 0)
        .setPreparedStatementCacheMaxSize(Math.max(1, pg.preparedStatementCacheSize()))
        .addProperty("application_name", "sluice")
        // Every statement reaches the tracing SPI, where the metrics verticle times it (slow-query log).
        .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.ALWAYS)
        // JSON built in PostgreSQL renders timestamps in the session zone: make it UTC everywhere.
        // (PgBouncer tracks TimeZone and application_name per client, so these two are safe behind it.)
        .addProperty("TimeZone", "UTC");
    if (throughPooler(pg, url)) return behindPgBouncer(o);
    // Applies to every statement on the connection: the per-request bound (-> 504).
    return o.addProperty("statement_timeout", String.valueOf(statementTimeoutMs));
  }

  /**
   * Behind a transaction pooler a client connection is no session: each transaction may run on
   * another server connection. So no settings at connect beyond those PgBouncer tracks per client
   * (it refuses the others), no named prepared statements (Vert.x's layer-7 proxy mode sends
   * unnamed ones, as PgBouncer before 1.21 requires), one statement in flight per connection, and
   * per-transaction settings through {@link #localSettings}. The statement timeout of statements
   * outside a transaction is the server's (PgBouncer's connect_query or the role's default).
   */
  private static PgConnectOptions behindPgBouncer(PgConnectOptions o) {
    return o.setUseLayer7Proxy(true).setCachePreparedStatements(false).setPipeliningLimit(1);
  }

  /** Whether connections to {@code url} go through PgBouncer: every server but the direct URL, when it is configured. */
  private static boolean throughPooler(SluiceConfig.Pg pg, String url) {
    return pg.pgbouncer() && !url.equals(directUrl(pg));
  }

  /** Where start-up and maintenance work connects: straight to PostgreSQL, past any pooler. */
  public static String directUrl(SluiceConfig.Pg pg) {
    return pg.directUrl().isEmpty() ? pg.url() : pg.directUrl();
  }

  /**
   * The settings a transaction must make for itself when no session carries them (behind PgBouncer):
   * {@code set_config('statement_timeout', $1, true)}, i.e. SET LOCAL, ending with the transaction.
   * Nothing otherwise (the connection was started with them).
   */
  public static Future<Void> localSettings(SqlConnection conn, SluiceConfig.Pg pg) {
    if (!pg.pgbouncer()) return Future.succeededFuture();
    return conn.preparedQuery("SELECT set_config('statement_timeout', $1, true)")
        .execute(Tuple.of(String.valueOf(pg.statementTimeoutMs()))).mapEmpty();
  }

  /** Pool options with the configured bounds on waiting: every pool of the gateway uses these. */
  public static PoolOptions poolOptions(SluiceConfig.Pg pg, int size, String name) {
    return new PoolOptions()
        .setMaxSize(size)
        .setMaxWaitQueueSize(pg.maxWaitQueueSize())
        .setConnectionTimeout(pg.connectionTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
        .setName(name);
  }

  /**
   * The pipelined client of page reads (pages, counts, EXPLAIN) on the server at {@code url}: the primary
   * or a streaming replica. Its plan cache mode is {@code pg.pagePlanCacheMode}: generic plans by default,
   * because PostgreSQL's automatic choice never takes them for these statements (it costs the generic plan
   * of {@code LIMIT $n} as if a tenth of the table were read), so every page was planned anew: 128 µs of
   * planning per keyset page, as much as its execution; generic plans gave 1.7-2.3 x the keyset statement's
   * throughput under pgbench. Data so skewed that a filter's value should change the plan can set
   * {@code auto} (GET /admin/explain shows the plan either way).
   */
  public static SqlClient pageClient(Vertx vertx, SluiceConfig.Pg pg, String url) {
    String name = url.equals(pg.url()) ? "sluice-pipelined" : "sluice-replica";
    return readClient(vertx, pg, url, pg.poolSize(), name, pg.pagePlanCacheMode());
  }

  /**
   * The pipelined client of coalesced point reads ({@code pk = ANY($1) AND tenant = $2}) on the server at
   * {@code url}, always with generic plans: PostgreSQL's automatic choice re-plans such a statement on every
   * execution while a batch holds fewer than about eight ids (the custom plan looks cheaper), which measured
   * 55 µs of planning per statement, more than its execution; the generic plan of a primary-key lookup is the
   * same index scan whatever the values.
   */
  public static SqlClient pointClient(Vertx vertx, SluiceConfig.Pg pg, String url) {
    String name = url.equals(pg.url()) ? "sluice-points" : "sluice-replica-points";
    return readClient(vertx, pg, url, pg.pointPoolSize(), name, SluiceConfig.PlanCacheMode.FORCE_GENERIC_PLAN);
  }

  private static SqlClient readClient(Vertx vertx, SluiceConfig.Pg pg, String url, int size, String name,
                                      SluiceConfig.PlanCacheMode planCacheMode) {
    return PgBuilder.client()
        .with(poolOptions(pg, size, name))
        .connectingTo(readConnectOptions(pg, url, planCacheMode))
        .using(vertx)
        .build();
  }

  /** Behind PgBouncer no session setting can be made at connect: there PostgreSQL's default stays. */
  static PgConnectOptions readConnectOptions(SluiceConfig.Pg pg, String url, SluiceConfig.PlanCacheMode planCacheMode) {
    PgConnectOptions o = connectOptions(pg, url, pg.statementTimeoutMs());
    if (!throughPooler(pg, url)) o.addProperty("plan_cache_mode", planCacheMode.setting());
    return o;
  }

  /** A replica's name for logs and metrics: host:port/database, never the credentials. */
  public static String serverName(String url) {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    return o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
  }

  /**
   * A small pool without statement timeout for start-up work: schema checks and the demo load. Its
   * wait for a connection is not the request path's 2 s: a start on a busy machine waits up to 30 s
   * rather than failing.
   */
  public static Pool maintenancePool(Vertx vertx, SluiceConfig.Pg pg) {
    return PgBuilder.pool()
        .with(poolOptions(pg, 2, "sluice-maintenance").setConnectionTimeout(Math.max(pg.connectionTimeoutMs(), 30_000)))
        .connectingTo(connectOptions(pg, directUrl(pg), 0))
        .using(vertx)
        .build();
  }

  /**
   * A pool that every verticle asking for {@code name} shares (one bound for all of them, e.g. the
   * connections NDJSON uploads may hold on this node); each verticle closes its handle, the last
   * close closes the pool.
   */
  public static Pool sharedPool(Vertx vertx, SluiceConfig.Pg pg, int size, String name) {
    return PgBuilder.pool()
        .with(poolOptions(pg, size, name).setShared(true))
        .connectingTo(connectOptions(pg))
        .using(vertx)
        .build();
  }

  /** The pool for transactions (writes, SET LOCAL). */
  public static Pool pool(Vertx vertx, SluiceConfig.Pg pg, int size, String name) {
    return PgBuilder.pool()
        .with(poolOptions(pg, size, name))
        .connectingTo(connectOptions(pg))
        .using(vertx)
        .build();
  }
}
