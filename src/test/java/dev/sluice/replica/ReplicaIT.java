package dev.sluice.replica;

import dev.sluice.support.Http;
import dev.sluice.support.Poll;
import dev.sluice.support.TestGateway;
import dev.sluice.support.TestServices;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Against the real streaming replica ./sluice test starts (services up --replica, 127.0.0.1:55433).
 * Where a read went is told by each server's own pg_stat_statements: the point-read statement's
 * calls on the primary and on the replica, in this class's database.
 */
@DisplayName("Read replicas: reads on the streaming replica, writes on the primary, read-your-writes, lag and outages")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaIT {
  static final String POINT_READ = "%FROM leads t WHERE t.id = ANY($1::%";
  static final String SEARCH = "%<=>%FROM documents%";
  static TestGateway gw;
  static Http http;
  static Pool replica;
  static List<Long> tenant2Leads;

  @BeforeAll
  static void start() {
    String url = TestGateway.replicaUrl();
    JsonObject overrides = new JsonObject().put("pg", new JsonObject().put("replicas", new JsonObject()
        .put("urls", new JsonArray().add(url)).put("pollMs", 100).put("maxLagMs", 1000)));
    // The streaming replica is the project-local one: this class runs on the local primary whatever TestServices chose.
    gw = Http.await(TestGateway.start(TestServices.local(), "replica", overrides, List.of(), null));
    http = new Http(gw.port);
    waitFor(() -> "streaming".equals(replicaState()), 60, "the replica to stream");
    replica = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
        .connectingTo(PgConnectOptions.fromUri(gw.config.pg().replicas().urls().get(0))).using(gw.vertx).build();
    tenant2Leads = new ArrayList<>();
    for (Row row : Http.await(gw.db.query("SELECT id FROM leads WHERE org_id = 2 ORDER BY id LIMIT 20").execute())) {
      tenant2Leads.add(row.getLong(0));
    }
  }

  @AfterAll
  static void stop() {
    try {
      // Leave the shared replica as found: replaying and running.
      services("replica-start");
      if (replica != null) Http.await(replica.query("SELECT pg_wal_replay_resume()").execute());
    } finally {
      if (replica != null) Http.await(replica.close());
      if (gw != null) Http.await(gw.close());
    }
  }

  @Test
  @Order(1)
  @DisplayName("uncached reads and vector searches go to the streaming replica, and a write goes to the primary")
  void readsOnReplica() {
    long onPrimary = calls(gw.db);
    long onReplica = calls(replica);
    for (long id : tenant2Leads) assertEquals(200, noCache("/v1/leads/" + id, "demo-reader-2").status());
    long replicaReads = calls(replica) - onReplica;
    long primaryReads = calls(gw.db) - onPrimary;
    assertEquals(tenant2Leads.size(), replicaReads + primaryReads);
    // A poll delayed past three intervals on a busy machine sends a read to the primary: most, not all.
    assertTrue(replicaReads >= tenant2Leads.size() / 2, "replica served " + replicaReads + " of " + tenant2Leads.size());
    assertEquals(200, http.send("PATCH", "/v1/leads?id=eq." + tenant2Leads.get(0), "demo-writer", "application/json",
        "{\"priority\": 3}").status());

    long searches = calls(replica, SEARCH) + calls(gw.db, SEARCH);
    long searchesOnReplica = calls(replica, SEARCH);
    // Ids 2, 22, ..., 182: in the data set's first documents and in the sample a bare clone loads (ids = 2 mod 20).
    for (int id = 2; id <= 182; id += 20) assertEquals(200, http.get("/v1/documents/" + id + "/similar?k=3", "demo-reader-2").status());
    assertEquals(10, calls(replica, SEARCH) + calls(gw.db, SEARCH) - searches);
    assertTrue(calls(replica, SEARCH) - searchesOnReplica >= 5, "most searches ran on the replica");
  }

  @Test
  @Order(2)
  @DisplayName("after its own write a tenant reads the new value at once, though the replica has not replayed it")
  void readYourWrites() {
    long lead = leadOfTenant1();
    assertEquals(200, http.get("/v1/leads/" + lead + "?select=id,title", "demo-reader").status()); // cached now
    Http.await(replica.query("SELECT pg_wal_replay_pause()").execute());
    assertEquals(200, http.send("PATCH", "/v1/leads?id=eq." + lead, "demo-writer", "application/json",
        "{\"title\": \"after the pause\"}").status());
    // The replica still has the old title: the reads below can only have come from the primary.
    String onReplica = Http.await(replica.preparedQuery("SELECT title FROM leads WHERE id = $1").execute(Tuple.of(lead)))
        .iterator().next().getString(0);
    assertTrue(!"after the pause".equals(onReplica), "replay is paused, so the replica lacks the write");
    assertEquals("after the pause", http.get("/v1/leads/" + lead + "?select=id,title", "demo-reader").json()
        .getString("title"));
    assertEquals("after the pause", noCache("/v1/leads/" + lead + "?select=id,title", "demo-reader").json()
        .getString("title"));
    assertEquals("after the pause", noCache("/v1/leads?id=eq." + lead + "&select=id,title", "demo-reader").json()
        .getJsonArray("data").getJsonObject(0).getString("title"));
  }

  @Test
  @Order(3)
  @DisplayName("a replica behind by more than maxLagMs is skipped and reported (health, metrics, SLO), then rejoins")
  void laggingReplica() {
    // Replay is still paused (previous test): the replica's lag grows past 1000 ms.
    waitFor(() -> "lagging".equals(replicaState()), 30, "the replica to be reported lagging");
    String metrics = http.get("/metrics", null).body();
    assertTrue(metrics.contains("sluice_replica_healthy{replica=\"127.0.0.1:"), metrics);
    assertTrue(metric(metrics, "sluice_replica_lag_seconds") > 1.0, "lag over a second");
    assertEquals(0.0, metric(metrics, "sluice_replica_healthy"));
    waitFor(() -> "breach".equals(replicaLagAlert()), 30, "the replica-lag alert to breach");

    long onReplica = calls(replica);
    for (long id : tenant2Leads) assertEquals(200, noCache("/v1/leads/" + id, "demo-reader-2").status());
    assertEquals(onReplica, calls(replica), "no read went to the lagging replica");

    Http.await(replica.query("SELECT pg_wal_replay_resume()").execute());
    waitFor(() -> "streaming".equals(replicaState()), 30, "the replica to catch up and rejoin");
    waitFor(() -> "ok".equals(replicaLagAlert()), 30, "the replica-lag alert to clear");
    long before = calls(replica);
    for (long id : tenant2Leads) noCache("/v1/leads/" + id, "demo-reader-2");
    assertTrue(calls(replica) > before, "reads go to the replica again");
  }

  @Test
  @Order(4)
  @DisplayName("a replica that stops costs no failed request, and is used again once it is back")
  void replicaOutage() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<List<Integer>>> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      readers.add(pool.submit(() -> {
        List<Integer> statuses = new ArrayList<>();
        int i = 0;
        while (running.get()) statuses.add(noCache("/v1/leads/" + tenant2Leads.get(i++ % tenant2Leads.size()),
            "demo-reader-2").status());
        return statuses;
      }));
    }
    try {
      services("replica-stop");
      waitFor(() -> "unreachable".equals(replicaState()), 30, "the stopped replica to be reported unreachable");
      Thread.sleep(300); // pacing: the readers run on for 300 ms with the replica gone (the assertions below count them)
    } finally {
      running.set(false);
      pool.shutdown();
    }
    int total = 0;
    for (Future<List<Integer>> f : readers) {
      for (int status : f.get(30, TimeUnit.SECONDS)) {
        assertEquals(200, status);
        total++;
      }
    }
    assertTrue(total > 0);

    services("replica-start");
    waitFor(() -> "streaming".equals(replicaState()), 60, "the restarted replica to rejoin");
    long before = calls(replica);
    for (long id : tenant2Leads) assertEquals(200, noCache("/v1/leads/" + id, "demo-reader-2").status());
    assertTrue(calls(replica) > before, "reads go to the replica again");
  }

  // ---- helpers ----

  static Http.Response noCache(String path, String key) {
    return http.send(http.builder(path, key).header("Cache-Control", "no-cache").GET().build());
  }

  static long leadOfTenant1() {
    return Http.await(gw.db.query("SELECT id FROM leads WHERE org_id = 1 ORDER BY id DESC LIMIT 1").execute())
        .iterator().next().getLong(0);
  }

  /** Calls of the point-read statement in this class's database, on one server. */
  static long calls(Pool server) {
    return calls(server, POINT_READ);
  }

  static long calls(Pool server, String statement) {
    return Http.await(server.preparedQuery("SELECT coalesce(sum(s.calls), 0)::bigint FROM pg_stat_statements s "
            + "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 AND s.query LIKE $2")
        .execute(Tuple.of(gw.database, statement))).iterator().next().getLong(0);
  }

  static String replicaState() {
    JsonObject ready = http.get("/health/ready", null).json();
    JsonArray replicas = ready.getJsonObject("checks").getJsonArray("replicas");
    return replicas == null || replicas.isEmpty() ? null : replicas.getJsonObject(0).getString("status");
  }

  static String replicaLagAlert() {
    for (Object o : http.get("/admin/slo", "demo-admin").json().getJsonArray("alerts")) {
      JsonObject a = (JsonObject) o;
      if ("replica-lag".equals(a.getString("name"))) return a.getString("status");
    }
    return null;
  }

  static double metric(String text, String name) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  static void waitFor(BooleanSupplier condition, int seconds, String what) {
    Poll.until(what, TimeUnit.SECONDS.toMillis(seconds), condition);
  }

  /** The project's own service script (exported by ./sluice test), e.g. replica-stop / replica-start. */
  static void services(String command) {
    String script = System.getenv("SLUICE_SERVICES");
    if (script == null) fail("SLUICE_SERVICES is not set: run through ./sluice test");
    try {
      Process p = new ProcessBuilder("bash", script, command, "--quiet").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) throw new AssertionError(command + " did not finish");
      if (p.exitValue() != 0) throw new AssertionError(command + " exited with " + p.exitValue());
    } catch (java.io.IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
