package dev.sluice;

import dev.sluice.support.Http;
import dev.sluice.support.Poll;
import dev.sluice.support.TestGateway;
import dev.sluice.support.TestServices;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.SqlClient;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real entry point, as ./sluice run starts it: a separate JVM running {@link Main} with the
 * environment overrides, on a database of its own. It must come up ready, answer a read, and
 * stop gracefully on SIGTERM.
 */
@DisplayName("Main starts a ready gateway from the environment and stops on SIGTERM")
class MainIT {

  @Test
  @DisplayName("java dev.sluice.Main with SLUICE_* variables serves reads, then drains and exits")
  void startsAndStops() throws Exception {
    Vertx vertx = Vertx.vertx();
    PgConnectOptions base = PgConnectOptions.fromUri(TestGateway.basePgUrl());
    String db = "sluice_test_main_" + UUID.randomUUID().toString().substring(0, 8);
    SqlClient admin = PgBuilder.client().connectingTo(new PgConnectOptions(base).setDatabase("postgres")).using(vertx).build();
    Http.await(admin.query("CREATE DATABASE " + db).execute());
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), "dev.sluice.Main")
        .redirectErrorStream(true)
        .redirectOutput(File.createTempFile("sluice-main", ".log"));
    pb.environment().put("SLUICE_PG_URL", "postgresql://" + base.getUser() + "@" + base.getHost() + ":" + base.getPort() + "/" + db);
    pb.environment().put("SLUICE_REDIS_URL", TestServices.get().redisUrl());
    pb.environment().put("SLUICE_HTTP_PORT", String.valueOf(port));
    pb.environment().put("SLUICE_HTTP_HOST", "127.0.0.1");
    pb.environment().put("SLUICE_DEMO_LEADS", "200");
    pb.environment().put("SLUICE_DEMO_DOCUMENTS_LIMIT", "20");
    // A whole gateway opens some forty connections at once at start; on a loaded machine some take longer
    // than the default 2 s bound on waiting for one, which is about overload, not what this test checks.
    pb.environment().put("SLUICE_PG_CONNECTION_TIMEOUT_MS", "15000");
    Process p = pb.start();
    try {
      Http http = new Http(port);
      java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
      Poll.until("the gateway to become ready or exit", 90_000, () -> {
        try {
          ready.set(http.get("/health/ready", null).status() == 200);
        } catch (AssertionError notYet) {
          // not listening yet
        }
        return ready.get() || !p.isAlive();
      });
      assertTrue(ready.get(), "gateway became ready (alive: " + p.isAlive() + ")");
      Http.Response lead = http.get("/v1/leads/1", "demo-reader");
      assertEquals(200, lead.status(), lead.body());
      assertEquals(1L, lead.json().getLong("id"));
      p.destroy(); // SIGTERM: the shutdown hook drains and closes
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited after SIGTERM");
    } finally {
      if (p.isAlive()) p.destroyForcibly().waitFor();
      Http.await(admin.query("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)").execute().eventually(admin::close));
      Http.await(vertx.close());
    }
  }
}
