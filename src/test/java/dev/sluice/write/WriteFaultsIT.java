package dev.sluice.write;

import dev.sluice.support.Http;
import dev.sluice.support.RawUpload;
import dev.sluice.support.TestGateway;
import dev.sluice.support.TestServices;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults during NDJSON uploads, driven over a raw socket so the test controls exactly how much of
 * the body has been sent: the client going away, and the project-local PostgreSQL restarting.
 */
@DisplayName("Write faults: a client that disconnects mid-upload and a PostgreSQL restart mid-bulk write nothing")
class WriteFaultsIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    // pg_ctl restarts the project-local PostgreSQL: this class runs on it whatever TestServices chose.
    gw = Http.await(TestGateway.start(TestServices.local(), "writefaults", new JsonObject().put("demo", new JsonObject().put("leads", 200)
        .put("documentsLimit", 10)), List.of(), null));
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static long count(String sql, Object... params) {
    return Http.await(gw.db.preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  /** Write transactions of the gateway on the test database that have written something (have an xid). */
  static long writingTransactions() {
    return count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        + "AND application_name = 'sluice' AND backend_xid IS NOT NULL");
  }

  static void awaitTrue(String what, java.util.function.BooleanSupplier condition, long timeoutMs) {
    dev.sluice.support.Poll.until(what, timeoutMs, condition);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  @DisplayName("a client that disconnects halfway through a large NDJSON upload leaves nothing written")
  void clientDisconnects() throws Exception {
    String title = "Disconnect " + System.nanoTime();
    try (RawUpload up = new RawUpload(gw.port, "demo-writer", title, 100_000_000L)) {
      assertTrue(up.lines(20_000));
      // chunks are being written inside the upload's open transaction
      awaitTrue("rows written in the open transaction", () -> writingTransactions() > 0, 10_000);
      assertTrue(up.lines(5_000));
    }
    // the session rolls back: no transaction left with writes, and none of the rows
    awaitTrue("the rollback", () -> writingTransactions() == 0, 10_000);
    assertEquals(0, count("SELECT count(*) FROM leads WHERE title = $1", title));
    Http.Response after = new Http(gw.port).send("POST", "/v1/leads/bulk", "demo-writer", "application/json",
        new JsonArray().add(new JsonObject().put("title", title + " after")).encode());
    assertEquals(200, after.status(), after.body());
  }

  @Test
  @DisplayName("PostgreSQL restarted during a bulk request: 503, nothing half-written, the next request succeeds")
  void postgresRestart() throws Exception {
    String title = "Restart " + System.nanoTime();
    try {
      int status;
      try (RawUpload up = new RawUpload(gw.port, "demo-writer", title, 100_000_000L)) {
        assertTrue(up.lines(10_000));
        awaitTrue("rows written in the open transaction", () -> writingTransactions() > 0, 10_000);
        awaitQuietCluster();
        pgCtl("restart");
        // the next chunk meets the dead connection
        for (int i = 0; i < 50 && up.lines(2_000); i++) sleep(20); // pacing the upload, not a wait for a state
        status = up.status();
      }
      assertEquals(503, status);
      awaitPostgres();
      assertEquals(0, count("SELECT count(*) FROM leads WHERE title = $1", title), "nothing half-written");
      Http.Response after = new Http(gw.port).send("POST", "/v1/leads/bulk", "demo-writer", "application/json",
          new JsonArray().add(new JsonObject().put("title", title + " after")).encode());
      assertEquals(200, after.status(), after.body());
      assertEquals(1, count("SELECT count(*) FROM leads WHERE title = $1", title + " after"));
    } finally {
      ensurePostgresRunning();
    }
  }

  // ---- the project-local PostgreSQL (./sluice test exports SLUICE_PG_BIN and SLUICE_PG_DATA) ----

  static void pgCtl(String... args) throws Exception {
    String bin = System.getenv("SLUICE_PG_BIN");
    String data = System.getenv("SLUICE_PG_DATA");
    if (bin == null || data == null) throw new AssertionError("SLUICE_PG_BIN and SLUICE_PG_DATA must be set (./sluice test)");
    List<String> cmd = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("runuser", "-u", System.getenv().getOrDefault("SLUICE_PG_OS_USER", "postgres"), "--"));
    }
    cmd.addAll(List.of(bin + "/pg_ctl", "-D", data, "-w", "-t", "60"));
    String log = System.getenv("SLUICE_PG_LOG");
    if (log != null) cmd.addAll(List.of("-l", log));
    cmd.addAll(List.of(args));
    if (args[0].equals("restart")) cmd.addAll(List.of("-m", "fast"));
    Process p = new ProcessBuilder(cmd).directory(new File("/")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    p.getOutputStream().close();
    if (!p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("pg_ctl " + String.join(" ", args) + " did not finish");
    }
    if (p.exitValue() != 0 && !args[0].equals("status")) {
      throw new AssertionError("pg_ctl " + String.join(" ", args) + " exited with " + p.exitValue());
    }
  }

  /**
   * The restart hits everyone on this PostgreSQL: other test runs on the same machine included. Wait
   * (a bounded while) until no other database has a statement or transaction in progress, so the
   * restart falls between their statements; in CI nothing else runs and this returns at once.
   */
  static void awaitQuietCluster() {
    long deadline = System.currentTimeMillis() + 20_000;
    int quiet = 0;
    while (quiet < 3 && System.currentTimeMillis() < deadline) {
      long busy = count("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
          + "AND datname IS NOT NULL AND datname <> current_database() AND state <> 'idle'");
      quiet = busy == 0 ? quiet + 1 : 0;
      if (quiet < 3) sleep(200); // spaces the samples: quiet means quiet across 400 ms, not one lucky look
    }
  }

  static boolean postgresAnswers() {
    SqlClient c = PgBuilder.client().connectingTo(PgConnectOptions.fromUri(gw.config.pg().url())).using(gw.vertx).build();
    try {
      Http.await(c.query("SELECT 1").execute());
      return true;
    } catch (AssertionError e) {
      return false;
    } finally {
      c.close();
    }
  }

  static void awaitPostgres() {
    awaitTrue("PostgreSQL to accept connections", WriteFaultsIT::postgresAnswers, 60_000);
  }

  /** Leaves PostgreSQL running whatever happened, for the tests (ours and others') that follow. */
  static void ensurePostgresRunning() throws Exception {
    if (postgresAnswers()) return;
    try {
      pgCtl("start");
    } catch (AssertionError e) {
      // already starting: wait below
    }
    awaitPostgres();
  }
}
