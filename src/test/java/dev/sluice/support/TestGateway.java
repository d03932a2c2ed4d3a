package dev.sluice.support;

import dev.sluice.Gateway;
import dev.sluice.cluster.ClusterSettings;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Migrator;
import dev.sluice.metrics.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real gateway for one test class, on a database of its own (created here, dropped in
 * {@link #close}), against the PostgreSQL and Redis of {@link TestServices} (containers when a
 * Docker engine is reachable, else the project-local services that ./sluice test started). Each
 * class gets a fresh database, so the suite can run twice in a row on the same services.
 */
public final class TestGateway {
  public final Vertx vertx;
  public final PrometheusMeterRegistry registry;
  public final Gateway gateway;
  public final SluiceConfig config;
  /** The database this gateway created (and drops on close); null for an attached second gateway. */
  public final String database;
  public final int port;
  /** A client on the test database for set-up and assertions (never for the gateway's own work). */
  public final Pool db;
  private final TestServices services;

  private TestGateway(Vertx vertx, PrometheusMeterRegistry registry, Gateway gateway, SluiceConfig config,
                      String database, int port, Pool db, TestServices services) {
    this.vertx = vertx;
    this.registry = registry;
    this.gateway = gateway;
    this.config = config;
    this.database = database;
    this.port = port;
    this.db = db;
    this.services = services;
  }

  /**
   * The demo configuration's rate limits (tenant 2's free plan) would refuse tests that call as
   * demo-reader-2 faster than a free plan allows; tests run without them unless they set their own
   * (RateLimitIT does).
   */
  private static final JsonObject NO_RATE_LIMITS = new JsonObject().put("enabled", false);

  /**
   * True in the suite's second pass (the surefire execution "pgbouncer" sets sluice.test.pgbouncer):
   * gateways then reach their database through the local PgBouncer in transaction mode
   * (SLUICE_PGBOUNCER_URL, from ./sluice services up --pgbouncer), with pg.pgbouncer on.
   */
  public static boolean throughPgBouncer() {
    return Boolean.getBoolean("sluice.test.pgbouncer");
  }

  /** The pg section a gateway on {@code dbUrl} gets: straight to it, or through PgBouncer in the second pass. */
  static JsonObject pgSection(String dbUrl) {
    JsonObject pg = new JsonObject().put("url", dbUrl);
    if (!throughPgBouncer()) return pg;
    String bouncer = System.getenv("SLUICE_PGBOUNCER_URL");
    if (bouncer == null || bouncer.isEmpty()) {
      throw new IllegalStateException("sluice.test.pgbouncer is set but SLUICE_PGBOUNCER_URL is not: "
          + "run the tests with ./sluice test (it starts PgBouncer: ./sluice services up --pgbouncer)");
    }
    PgConnectOptions b = PgConnectOptions.fromUri(bouncer);
    PgConnectOptions d = PgConnectOptions.fromUri(dbUrl);
    return pg.put("url", "postgresql://" + d.getUser() + "@" + b.getHost() + ":" + b.getPort() + "/" + d.getDatabase())
        .put("pgbouncer", true).put("directUrl", dbUrl);
  }

  /** This gateway's connection settings (url, and pgbouncer / directUrl in the second pass), for configs beside it. */
  public JsonObject pgOverrides() {
    JsonObject pg = new JsonObject().put("url", config.pg().url());
    if (config.pg().pgbouncer()) pg.put("pgbouncer", true).put("directUrl", config.pg().directUrl());
    return pg;
  }

  /**
   * The local streaming replica's URL for the database a test gateway makes ("{database}" is filled
   * in by {@link #start}); fails when ./sluice test did not start the replica.
   */
  public static String replicaUrl() {
    String replicaUrl = System.getenv("SLUICE_REPLICA_URL");
    if (replicaUrl == null) {
      throw new AssertionError("SLUICE_REPLICA_URL is not set: run through ./sluice test, which starts the replica");
    }
    PgConnectOptions r = PgConnectOptions.fromUri(replicaUrl);
    return "postgresql://" + r.getUser() + "@" + r.getHost() + ":" + r.getPort() + "/{database}";
  }

  public static String basePgUrl() {
    return TestServices.get().pgUrl();
  }

  /**
   * Creates a database, migrates it, runs {@code setupSql} in it (e.g. test-only tables and views), and starts a
   * gateway on it with the demo configuration plus {@code overrides}.
   */
  public static Future<TestGateway> start(String name, JsonObject overrides, List<String> setupSql) {
    return start(name, overrides, setupSql, null);
  }

  /** As {@link #start(String, JsonObject, List)}, on a clustered Vert.x when {@code cluster} is given. */
  public static Future<TestGateway> start(String name, JsonObject overrides, List<String> setupSql, ClusterSettings cluster) {
    return start(TestServices.get(), name, overrides, setupSql, cluster);
  }

  /** As {@link #start(String, JsonObject, List)}, on the given services (the local ones, for fault injection). */
  public static Future<TestGateway> start(TestServices services, String name, JsonObject overrides, List<String> setupSql,
                                          ClusterSettings cluster) {
    Metrics metrics = Metrics.create();
    PrometheusMeterRegistry registry = metrics.registry();
    String database = "sluice_test_" + name.toLowerCase().replaceAll("[^a-z0-9]", "") + "_"
        + UUID.randomUUID().toString().substring(0, 8);
    PgConnectOptions base = PgConnectOptions.fromUri(services.pgUrl());
    String dbUrl = "postgresql://" + base.getUser() + "@" + base.getHost() + ":" + base.getPort() + "/" + database;
    int port = freePort();
    JsonObject o = new JsonObject()
        // One Postgres verticle per event loop (HTTP reads call the one on their own loop); behind PgBouncer
        // a connection has one statement in flight instead of a pipeline, which 4 x 2 connections allow.
        .put("pg", pgSection(dbUrl).put("verticleInstances", 0).put("poolSize", 2))
        // The database gauges poll once at start, then not during a test (tests that count the statements
        // of their own database in pg_stat_statements would see the polls); DatabaseOpsIT sets its own.
        .put("database", new JsonObject().put("pollMs", 3_600_000))
        .put("http", new JsonObject().put("port", port).put("host", "127.0.0.1").put("instances", 1))
        .put("demo", new JsonObject().put("leads", 2000).put("documentsLimit", 1000)
            .put("documentsPath", documentsPath()))
        // scheduled view refreshes and partition passes stay out of other tests' statement counts
        .put("maintenance", new JsonObject().put("intervalSeconds", 3600))
        .put("rateLimits", NO_RATE_LIMITS.copy());
    // "{database}" in an override (a replica's URL) names the database made here.
    JsonObject own = new JsonObject((overrides == null ? "{}" : overrides.encode()).replace("{database}", database));
    ConfigLoader.deepMerge(o, own);
    return newVertx(metrics, cluster).compose(vertx -> admin(vertx, base, "CREATE DATABASE " + database)
        .compose(v -> {
          Pool db = PgBuilder.pool().with(new PoolOptions().setMaxSize(4))
              .connectingTo(PgConnectOptions.fromUri(dbUrl)).using(vertx).build();
          return ConfigLoader.load(vertx, Map.of("SLUICE_CONFIG", "conf/sluice.yaml", "SLUICE_REDIS_URL", services.redisUrl()), o)
              // migrate first so test-only objects can sit beside (and refer to) the demo schema
              .compose(config -> Migrator.migrate(vertx, config.pg()).map(config))
              .compose(config -> {
                Future<Void> setup = Future.succeededFuture();
                for (String sql : setupSql) setup = setup.compose(x -> db.query(sql).execute().mapEmpty());
                return setup.map(config);
              })
              .compose(config -> Gateway.start(vertx, config, metrics)
                  .map(g -> new TestGateway(vertx, registry, g, config, database, port, db, services)));
        }));
  }

  private static Future<Vertx> newVertx(Metrics metrics, ClusterSettings cluster) {
    // The configuration's default loop count (tests do not set eventLoops), before the configuration is read.
    int loops = dev.sluice.config.SluiceConfig.eventLoops(0);
    return cluster == null ? Future.succeededFuture(metrics.newVertx(loops))
        : metrics.newClusteredVertx(cluster.clusterManager(), cluster.host(), loops);
  }

  /** A second gateway (own Vert.x, own port) on the same database as {@code first}. */
  public static Future<TestGateway> attach(TestGateway first, String name, JsonObject overrides) {
    return attach(first, name, overrides, null);
  }

  public static Future<TestGateway> attach(TestGateway first, String name, JsonObject overrides, ClusterSettings cluster) {
    Metrics metrics = Metrics.create();
    PrometheusMeterRegistry registry = metrics.registry();
    int port = freePort();
    JsonObject o = new JsonObject()
        .put("pg", first.pgOverrides().put("verticleInstances", 1).put("poolSize", 2))
        .put("http", new JsonObject().put("port", port).put("host", "127.0.0.1").put("instances", 1))
        .put("demo", new JsonObject().put("load", false))
        .put("rateLimits", NO_RATE_LIMITS.copy());
    ConfigLoader.deepMerge(o, overrides == null ? new JsonObject() : overrides);
    return newVertx(metrics, cluster).compose(vertx -> {
      Pool db = PgBuilder.pool().with(new PoolOptions().setMaxSize(2))
          .connectingTo(PgConnectOptions.fromUri(dev.sluice.data.Database.directUrl(first.config.pg()))).using(vertx).build();
      return ConfigLoader.load(vertx, Map.of("SLUICE_CONFIG", "conf/sluice.yaml", "SLUICE_REDIS_URL", first.services.redisUrl()), o)
          .compose(config -> Gateway.start(vertx, config, metrics)
              .map(g -> new TestGateway(vertx, registry, g, config, null, port, db, first.services)));
    });
  }

  /**
   * Resets this database's statement statistics, runs the action (from a test thread), and returns how
   * many statements it ran, as pg_stat_statements counts them.
   */
  public long statementsRunBy(Runnable action) {
    Http.await(db.query("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)")
        .execute());
    action.run();
    return Http.await(db.query("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
        + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        + "AND query NOT ILIKE '%pg_stat_statements%' "
        // Behind PgBouncer its connect_query (SET statement_timeout) runs on each new server connection.
        + "AND query NOT ILIKE 'SET %'").execute()).iterator().next().getLong(0);
  }

  /**
   * The first 1,000 documents of debian-minilm and a few of its query vectors, carried by the repository
   * (src/test/resources/fixtures/debian-minilm-1000, see its README), so the tests need nothing beside
   * the clone; SLUICE_DATA_DIR names another copy of the same files.
   */
  public static String documentsPath() {
    return System.getenv().getOrDefault("SLUICE_DATA_DIR", "src/test/resources/fixtures/debian-minilm-1000");
  }

  /** The services this gateway runs against. */
  public TestServices services() {
    return services;
  }

  public Future<Void> close() {
    PgConnectOptions base = PgConnectOptions.fromUri(services.pgUrl());
    Future<Void> closed = gateway.close().eventually(db::close);
    if (database != null) {
      closed = closed.compose(v -> admin(vertx, base, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)"));
    }
    return closed.eventually(vertx::close);
  }

  private static Future<Void> admin(Vertx vertx, PgConnectOptions base, String sql) {
    SqlClient c = PgBuilder.client().connectingTo(new PgConnectOptions(base).setDatabase("postgres")).using(vertx).build();
    return c.query(sql).execute().eventually(c::close).mapEmpty();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
