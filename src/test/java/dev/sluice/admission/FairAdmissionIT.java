package dev.sluice.admission;

import dev.sluice.support.Http;
import dev.sluice.support.RawUpload;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 4: bounded uploads and writes per key and per tenant, a minimum upload rate, and
 * pool exhaustion answered with 503 + Retry-After. Two gateways: {@code fair} never cuts a slow
 * upload (so stalled uploads stay stalled while the test looks), {@code strict} has one write
 * connection, a short request timeout and a low minimum rate over a short window.
 */
@DisplayName("Fair admission: stalled uploads of one writer do not stop other tenants; slow uploads are cut; overload is a 503")
class FairAdmissionIT {
  static TestGateway fair;
  static TestGateway strict;

  static final JsonArray KEYS = new JsonArray()
      .add(new JsonObject().put("key", "demo-admin").put("role", "admin").put("tenant", 1))
      .add(new JsonObject().put("key", "demo-writer").put("role", "writer").put("tenant", 1))
      .add(new JsonObject().put("key", "demo-writer-b").put("role", "writer").put("tenant", 1))
      .add(new JsonObject().put("key", "demo-writer-2").put("role", "writer").put("tenant", 2))
      .add(new JsonObject().put("key", "demo-reader").put("role", "reader").put("tenant", 1));

  @BeforeAll
  static void start() {
    JsonObject demo = new JsonObject().put("leads", 200).put("documentsLimit", 10);
    fair = Http.await(TestGateway.start("fairadmission", new JsonObject().put("demo", demo)
        .put("auth", new JsonObject().put("keys", KEYS))
        .put("writes", new JsonObject().put("verticleInstances", 2).put("poolSize", 2).put("uploadPoolSize", 4)
            .put("maxUploadsPerKey", 2).put("maxUploadsPerTenant", 3)
            .put("minUploadBytesPerSecond", 1).put("uploadRateWindowMs", 3_600_000)), List.of()));
    strict = Http.await(TestGateway.start("strictadmission", new JsonObject().put("demo", demo)
        .put("http", new JsonObject().put("requestTimeoutMs", 3000))
        .put("pg", new JsonObject().put("connectionTimeoutMs", 500))
        .put("writes", new JsonObject().put("verticleInstances", 1).put("poolSize", 1)
            .put("minUploadBytesPerSecond", 200).put("uploadRateWindowMs", 2000)), List.of()));
  }

  @AfterAll
  static void stop() {
    if (fair != null) Http.await(fair.close());
    if (strict != null) Http.await(strict.close());
  }

  static long count(TestGateway gw, String sql, Object... params) {
    return Http.await(gw.db.preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  static int uploadsHeld(TestGateway gw) {
    return WriteAdmission.of(gw.vertx, gw.config.writes().admission()).snapshot().getInteger("uploads");
  }

  static void awaitTrue(String what, BooleanSupplier condition) {
    dev.sluice.support.Poll.until(what, 30_000, condition);
  }

  static String ndjson(String title, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append("{\"title\":\"").append(title).append("\"}\n");
    return sb.toString();
  }

  @Test
  @DisplayName("one writer holding many stalled NDJSON uploads gets 429 past its share; other tenants and keys still write")
  void stalledUploadsDoNotStopOthers() throws Exception {
    String title = "Stalled " + System.nanoTime();
    List<RawUpload> held = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        RawUpload up = new RawUpload(fair.port, "demo-writer", title, 100_000_000L);
        held.add(up);
        assertTrue(up.lines(10));
      }
      awaitTrue("two uploads held", () -> uploadsHeld(fair) == 2);
      // Six more from the same key: each refused at once with 429 + Retry-After, while the two stay open.
      for (int i = 0; i < 6; i++) {
        try (RawUpload extra = new RawUpload(fair.port, "demo-writer", title, 100_000_000L)) {
          extra.lines(10);
          String head = extra.head();
          assertTrue(head.startsWith("HTTP/1.1 429"), head);
          assertTrue(head.toLowerCase().contains("retry-after: 1"), head);
        }
      }
      assertEquals(2, uploadsHeld(fair));

      Http http = new Http(fair.port);
      // Another tenant: buffered bulk, PATCH and an NDJSON upload of its own all go through.
      Http.Response bulk = http.send("POST", "/v1/leads/bulk", "demo-writer-2", "application/json",
          new JsonArray().add(new JsonObject().put("title", "Tenant two " + title)).encode());
      assertEquals(200, bulk.status(), bulk.body());
      Http.Response patch = http.send("PATCH", "/v1/leads?title=eq." + java.net.URLEncoder.encode("Tenant two " + title,
          java.nio.charset.StandardCharsets.UTF_8), "demo-writer-2", "application/json", "{\"priority\":5}");
      assertEquals(200, patch.status(), patch.body());
      Http.Response upload = http.send("POST", "/v1/leads/bulk", "demo-writer-2", "application/x-ndjson",
          ndjson("Tenant two upload " + title, 50));
      assertEquals(200, upload.status(), upload.body());
      assertEquals(50, upload.json().getLong("inserted"));
      // Another key of the same tenant too: the tenant's share (3) has room for one more upload.
      Http.Response sameTenant = http.send("POST", "/v1/leads/bulk", "demo-writer-b", "application/x-ndjson",
          ndjson("Key b " + title, 5));
      assertEquals(200, sameTenant.status(), sameTenant.body());
      // And the stalled key's own buffered writes are not blocked by its uploads.
      Http.Response own = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/json",
          new JsonArray().add(new JsonObject().put("title", "Own " + title)).encode());
      assertEquals(200, own.status(), own.body());
    } finally {
      for (RawUpload up : held) up.close();
    }
    awaitTrue("the stalled uploads' places given back", () -> uploadsHeld(fair) == 0);
    assertEquals(0, count(fair, "SELECT count(*) FROM leads WHERE title = $1", title), "the stalled uploads wrote nothing");
  }

  @Test
  @DisplayName("an NDJSON upload that trickles below the minimum rate is cut with 408 and writes nothing")
  void tricklingUploadIsCut() throws Exception {
    String title = "Trickle " + System.nanoTime();
    try (RawUpload up = new RawUpload(strict.port, "demo-writer", title, 100_000_000L)) {
      assertTrue(up.lines(1));
      assertEquals(408, up.status());
    }
    awaitTrue("the upload's place given back", () -> uploadsHeld(strict) == 0);
    assertEquals(0, count(strict, "SELECT count(*) FROM leads WHERE title = $1", title));
  }

  @Test
  @DisplayName("a slow but steady upload that fills no chunk for longer than the request timeout commits (no 503)")
  void steadySlowUploadCommits() throws Exception {
    String title = "Steady " + System.nanoTime();
    int lineBytes = ("{\"title\":\"" + title + "\",\"priority\":2}\n").length();
    int batches = 30;
    int perBatch = 20;
    try (RawUpload up = new RawUpload(strict.port, "demo-writer", title, (long) lineBytes * batches * perBatch)) {
      // A slow client (about 4 KB/s, well above the 200 B/s minimum), for about twice the 3 s
      // request timeout, without ever filling a 1000-row chunk: the pacing is the client's, not a wait.
      for (int i = 0; i < batches; i++) {
        assertTrue(up.lines(perBatch), "the gateway closed the upload early");
        Thread.sleep(200);
      }
      assertEquals(200, up.status());
    }
    assertEquals((long) batches * perBatch, count(strict, "SELECT count(*) FROM leads WHERE title = $1", title));
  }

  @Test
  @DisplayName("no free write connection within pg.connectionTimeoutMs: 503 overloaded with Retry-After, not a 500")
  void poolExhaustionIsA503() throws Exception {
    long locked = count(strict, "SELECT min(id) FROM leads WHERE org_id = 1");
    long other = count(strict, "SELECT max(id) FROM leads WHERE org_id = 1");
    Http http = new Http(strict.port);
    SqlConnection lock = Http.await(strict.db.getConnection());
    try {
      Http.await(lock.query("BEGIN").execute());
      Http.await(lock.preparedQuery("SELECT id FROM leads WHERE id = $1 FOR UPDATE").execute(Tuple.of(locked)));
      // The gateway's only write connection waits on the row lock...
      CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(() ->
          http.send("PATCH", "/v1/leads?id=eq." + locked, "demo-writer", "application/json", "{\"priority\":1}"));
      awaitTrue("the first PATCH waiting on the lock", () -> count(strict, "SELECT count(*) FROM pg_stat_activity "
          + "WHERE datname = current_database() AND application_name = 'sluice' AND wait_event_type = 'Lock'") == 1);
      // ...so the next write finds no connection within pg.connectionTimeoutMs.
      Http.Response second = http.send("PATCH", "/v1/leads?id=eq." + other, "demo-writer", "application/json",
          "{\"priority\":1}");
      assertEquals(503, second.status(), second.body());
      assertEquals("1", second.header("Retry-After"));
      assertEquals("overloaded", second.json().getJsonObject("error").getString("code"));
      Http.await(lock.query("ROLLBACK").execute());
      assertEquals(200, first.get().status());
    } finally {
      lock.close();
    }
  }
}
