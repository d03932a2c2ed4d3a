package dev.sluice.chaos;

import dev.sluice.tools.CliOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./sluice chaos}: under a steady, light mixed load ({@link Load}) on two clustered gateways,
 * one fault after the other — kill -9 of a gateway in the middle of an NDJSON import, a PostgreSQL
 * restart, Redis stopped, the replica stopped, kill -9 of the other clustered node — and per fault:
 * the requests and which of them failed (by status), the time from the fault until the last failed
 * request (0: none failed), acknowledged writes lost, partial writes, and stale reads. Everything
 * runs on 127.0.0.1 against this checkout's own services ({@code SLUICE_LOCAL_*} ports), on a
 * database of its own ({@code sluice_chaos}, made afresh), and takes a few minutes.
 *
 * <p>Lost and partial writes are counted in the database at the end: every bulk write puts 5 rows
 * with one title, so an acknowledged write must have 5 rows, and any write 0 or 5; the import must
 * have no row unless it was acknowledged.
 */
public final class ChaosSuite {
  private static final String DB = "sluice_chaos";

  /** One fault: its name, when it was injected and repaired (ms since start), and when its phase ended. */
  record Phase(String name, long start, long fault, long repaired, long end) {}

  private final Map<String, String> opts;
  private final Map<String, String> env = System.getenv();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Phase> phases = new ArrayList<>();
  private final String run = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
  private final long started = System.currentTimeMillis();
  private Services services;
  private Node a;
  private Node b;
  private Load load;
  private String importTitle;
  private int importStatus;

  private ChaosSuite(Map<String, String> opts) {
    this.opts = opts;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = CliOptions.parse(args, Map.of(
        "jar", "target/sluice.jar",
        "settle", "4",
        "outage", "5",
        "out", "load-tests/results",
        "connection-timeout-ms", "15000"), Set.of());
    int rc = new ChaosSuite(o).runAll();
    System.exit(rc);
  }

  private int runAll() throws Exception {
    services = new Services(env);
    String pgUrl = env.get("SLUICE_PG_URL");
    PgConnectOptions pg = PgConnectOptions.fromUri(pgUrl);
    if (!"127.0.0.1".equals(pg.getHost())) throw new IllegalStateException("SLUICE_PG_URL must be on 127.0.0.1");
    int port = Integer.parseInt(env.getOrDefault("SLUICE_HTTP_PORT", "8080"));
    Vertx vertx = Vertx.vertx();
    try {
      recreateDatabase(vertx, pg);
      String dbUrl = "postgresql://" + pg.getUser() + "@127.0.0.1:" + pg.getPort() + "/" + DB;
      String replica = env.get("SLUICE_REPLICA_URL");
      if (replica == null) throw new IllegalStateException("no local replica: run through ./sluice chaos (services up --replica)");
      URI r = URI.create(replica);
      int hz = port + 39_000 <= 65_000 ? port + 39_000 : 57_000;
      Map<String, String> nodeEnv = new HashMap<>();
      nodeEnv.put("SLUICE_PG_URL", dbUrl);
      nodeEnv.put("SLUICE_PG_REPLICAS_URLS", "postgresql://" + pg.getUser() + "@127.0.0.1:" + r.getPort() + "/" + DB);
      nodeEnv.put("SLUICE_REDIS_URL", env.get("SLUICE_REDIS_URL"));
      nodeEnv.put("SLUICE_CACHE_KEY_PREFIX", "sluice-chaos-" + run + ":");
      nodeEnv.put("SLUICE_DEMO_LEADS", "2000");
      nodeEnv.put("SLUICE_DEMO_DOCUMENTS_LIMIT", "200");
      // On a shared, loaded machine a 2 s wait for a connection can fail the start itself.
      nodeEnv.put("SLUICE_PG_CONNECTION_TIMEOUT_MS", opts.get("connection-timeout-ms"));
      // A cluster of our own: own name and Hazelcast ports, so no other checkout's nodes can join it.
      nodeEnv.put("SLUICE_CLUSTER_NAME", "sluice-chaos-" + run);
      nodeEnv.put("SLUICE_CLUSTER_PORT", String.valueOf(hz));
      nodeEnv.put("SLUICE_CLUSTER_MEMBERS", "127.0.0.1:" + hz + "-" + (hz + 4));
      Path logs = Path.of(env.getOrDefault("SLUICE_WORK", ".work"), "chaos");
      Files.createDirectories(logs);
      List<String> cmd = List.of("java", "-Xmx256m", "-jar", opts.get("jar"), "--cluster");
      a = new Node("A", port, cmd, nodeEnv, logs.resolve("node-a.log"));
      b = new Node("B", port + 1, cmd, nodeEnv, logs.resolve("node-b.log"));
      say("starting gateway A on :" + a.port + " (migrates, loads demo data), then B on :" + b.port + "; logs in " + logs);
      startAndWait(a);
      startAndWait(b);

      Pool db = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(PgConnectOptions.fromUri(dbUrl))
          .using(vertx).build();
      List<Long> ids = new ArrayList<>();
      for (Row row : await(db.query("SELECT id FROM leads WHERE org_id = 1 ORDER BY id LIMIT 200").execute())) {
        ids.add(row.getLong(0));
      }
      load = new Load(http, List.of(a, b), run, started, ids, ids.get(0));
      load.start();
      try {
        phase("steady load, no fault", () -> {}, null);
        phase("kill -9 gateway A mid-import", this::killMidImport, this::restartA);
        phase("restart PostgreSQL", services::restartPostgres, null);
        phase("stop Redis", services::stopRedis, services::up);
        phase("stop the replica", services::stopReplica, services::up);
        phase("kill -9 node B of the two clustered", () -> b.kill9(), this::restartB);
      } finally {
        load.stop();
      }
      Map<String, Long> rows = new HashMap<>();
      for (Row row : await(db.preparedQuery("SELECT title, count(*) FROM leads WHERE title LIKE $1 GROUP BY title")
          .execute(Tuple.of("chaos-" + run + "-%")))) {
        rows.put(row.getString(0), row.getLong(1));
      }
      await(db.close());
      String report = report(rows);
      System.out.println(report);
      Path out = Path.of(opts.get("out"));
      Files.createDirectories(out);
      Path file = out.resolve(Instant.now().toString().substring(0, 10) + "-chaos.md");
      Files.writeString(file, report);
      say("table written to " + file);
      return 0;
    } finally {
      if (a != null) a.stop();
      if (b != null) b.stop();
      await(vertx.close());
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  /**
   * settle seconds of load; the fault; for a fault that needs a repair, outage seconds, then the
   * repair; then until both nodes are fully ready (not degraded) and settle seconds more.
   */
  private void phase(String name, Action fault, Action repair) throws Exception {
    long settle = Long.parseLong(opts.get("settle")) * 1000;
    long start = load.now();
    say(name);
    Thread.sleep(settle);
    long faultAt = load.now();
    fault.run();
    long repairedAt = faultAt;
    if (repair != null) {
      Thread.sleep(Long.parseLong(opts.get("outage")) * 1000);
      repair.run();
      repairedAt = load.now();
    }
    long deadline = System.currentTimeMillis() + 180_000;
    while (!(a.fullyReady(http) && b.fullyReady(http)) && System.currentTimeMillis() < deadline) Thread.sleep(250);
    Thread.sleep(settle);
    phases.add(new Phase(name, start, faultAt, repairedAt, load.now()));
  }

  private void killMidImport() throws Exception {
    importTitle = "chaos-" + run + "-import";
    AtomicLong sent = new AtomicLong();
    CompletableFuture<Integer> upload = load.importTo(a, importTitle, 2_000_000, sent);
    // Mid-import: rows already written in the import's open transaction.
    long deadline = System.currentTimeMillis() + 30_000;
    while (sent.get() < 20_000 && System.currentTimeMillis() < deadline) Thread.sleep(20);
    a.kill9();
    importStatus = upload.get(30, TimeUnit.SECONDS);
    say("  import cut after " + sent.get() + " lines sent (client saw " + (importStatus < 0 ? "no answer" : importStatus) + ")");
  }

  private void restartA() throws Exception {
    startAndWait(a);
  }

  private void restartB() throws Exception {
    startAndWait(b);
  }

  /**
   * Starts a gateway and waits until it is ready. On a loaded machine a start can fail (a
   * connection not made within the timeout while the JVM warms up): up to three attempts.
   */
  private void startAndWait(Node n) throws Exception {
    for (int attempt = 1; attempt <= 3; attempt++) {
      n.start();
      if (n.awaitReady(http, 300_000)) return;
      n.kill9();
      say("  gateway " + n.name + " did not start (attempt " + attempt + "; see its log)");
    }
    throw new IllegalStateException("gateway " + n.name + " did not become ready");
  }

  // ---- the report ----

  private String report(Map<String, Long> rows) {
    StringBuilder sb = new StringBuilder();
    sb.append("| fault | requests | failed (status: count) | recovered after (s) | acknowledged writes lost | partial writes | stale reads (same node / other node) |\n");
    sb.append("| --- | ---: | --- | ---: | ---: | ---: | --- |\n");
    List<Load.Outcome> outcomes = new ArrayList<>(load.outcomes);
    List<Load.Write> writes = new ArrayList<>(load.writes);
    List<Load.Stale> stale = new ArrayList<>(load.stale);
    long totalLost = 0;
    long totalPartial = 0;
    for (Phase p : phases) {
      long requests = 0;
      long lastFailure = -1;
      Map<String, Integer> failed = new TreeMap<>();
      for (Load.Outcome o : outcomes) {
        if (o.at() < p.start() || o.at() >= p.end()) continue;
        requests++;
        if (o.status() == 200) continue;
        failed.merge((o.status() < 0 ? "no answer" : String.valueOf(o.status())) + " " + o.kind() + "@" + o.node(), 1, Integer::sum);
        lastFailure = Math.max(lastFailure, o.at());
      }
      long lost = 0;
      long partial = 0;
      for (Load.Write w : writes) {
        if (w.at() < p.start() || w.at() >= p.end()) continue;
        long n = rows.getOrDefault(w.title(), 0L);
        if (w.acked() && n != Load.ROWS_PER_WRITE) lost++;
        if (n != 0 && n != Load.ROWS_PER_WRITE) partial++;
      }
      if (importTitle != null && p.name().contains("mid-import")) {
        long n = rows.getOrDefault(importTitle, 0L);
        if (importStatus != 200 && n != 0) partial++;
      }
      long same = stale.stream().filter(s -> s.at() >= p.start() && s.at() < p.end() && !s.otherNode()).count();
      long other = stale.stream().filter(s -> s.at() >= p.start() && s.at() < p.end() && s.otherNode()).count();
      totalLost += lost;
      totalPartial += partial;
      String recovered = lastFailure < 0 ? "0 (none failed)" : String.format("%.1f", Math.max(0, lastFailure - p.fault()) / 1000.0);
      sb.append("| ").append(p.name()).append(" | ").append(requests).append(" | ")
          .append(failed.isEmpty() ? "none" : String.join(", ", failed.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()))
          .append(" | ").append(recovered).append(" | ").append(lost).append(" | ").append(partial).append(" | ")
          .append(same).append(" / ").append(other).append(" |\n");
    }
    long acked = writes.stream().filter(Load.Write::acked).count();
    sb.append("\n").append(writes.size()).append(" bulk writes of ").append(Load.ROWS_PER_WRITE).append(" rows (").append(acked)
        .append(" acknowledged), ").append(outcomes.size()).append(" requests in all; acknowledged writes lost: ")
        .append(totalLost).append(", partial writes: ").append(totalPartial).append(". Import cut by the kill: ")
        .append(rows.getOrDefault(importTitle == null ? "" : importTitle, 0L)).append(" of its rows in the table.\n");
    return sb.toString();
  }

  // ---- set-up ----

  private static void recreateDatabase(Vertx vertx, PgConnectOptions pg) {
    SqlClient admin = PgBuilder.client().connectingTo(new PgConnectOptions(pg).setDatabase("postgres")).using(vertx).build();
    try {
      await(admin.query("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)").execute());
      await(admin.query("CREATE DATABASE " + DB).execute());
    } finally {
      await(admin.close());
    }
  }

  /** Blocks the calling (main) thread, never an event loop: this is a command-line tool. */
  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void say(String s) {
    System.out.printf("chaos %6.1fs: %s%n", (System.currentTimeMillis() - started) / 1000.0, s);
  }
}
