package dev.sluice.metrics;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slow statement (a test-only resource over a view that sleeps) drives a target into breach:
 * exactly one alert, then recovery with one more. Windows are shortened by configuration.
 */
@DisplayName("Metrics: SLO breach and recovery with one alert each, diagnostics, explain, slow-query log")
class MetricsIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    JsonObject overrides = new JsonObject()
        .put("slo", new JsonObject().put("tickMs", 100).put("windowsSeconds", new JsonArray().add(2).add(4))
            .put("slowQueryMs", 100)
            .put("targets", new JsonArray().add(new JsonObject().put("name", "point-reads")
                .put("operations", new JsonArray().add("read.get")).put("p95Ms", 150))
                .add(new JsonObject().put("name", "realtime").put("operations", new JsonArray().add("realtime"))
                    .put("p95Ms", 50))))
        .put("resources", new JsonObject().put("naps", new JsonObject()
            .put("table", "naps").put("primaryKey", "id").put("fields", new JsonArray().add("id").add("seconds"))
            .put("cacheTtlSeconds", 0)));
    List<String> setup = List.of("CREATE VIEW naps AS SELECT s.id::bigint AS id, s.secs::float8 AS seconds "
        + "FROM (VALUES (1, 0.3)) AS s(id, secs), LATERAL (SELECT pg_sleep(s.secs)) AS z");
    gw = Http.await(TestGateway.start("metrics", overrides, setup));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static JsonObject target(JsonObject slo, String name) {
    return slo.getJsonArray("targets").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("name").equals(name)).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("a committed write's change event is timed from commit to arrival: the realtime target has data")
  void changeDelivery() throws Exception {
    assertEquals(200, http.send("PATCH", "/v1/leads?id=eq.1", "demo-writer", "application/json",
        "{\"priority\": 2}").status());
    waitFor(() -> target(http.get("/admin/slo", "demo-admin").json(), "realtime").getLong("count") >= 1, 3000);
    JsonObject realtime = target(http.get("/admin/slo", "demo-admin").json(), "realtime");
    assertTrue(realtime.getDouble("p95Ms") >= 0 && !"no_data".equals(realtime.getString("status")), realtime.encode());
    assertTrue(http.get("/metrics", null).body().contains("sluice_operation_seconds_count{operation=\"realtime\""));
  }

  @Test
  @DisplayName("a slow statement breaches the target once, and recovery is announced once")
  void breachAndRecover() throws Exception {
    List<JsonObject> alerts = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> c = gw.vertx.eventBus().consumer(Addresses.ALERTS, m -> {
      if ("point-reads".equals(m.body().getString("name"))) alerts.add(m.body());
    });
    Http.await(c.completion());
    try {
      for (int i = 0; i < 4; i++) assertEquals(200, http.get("/v1/naps/1", "demo-reader").status());
      waitFor(() -> !alerts.isEmpty(), 3000);
      JsonObject slo = http.get("/admin/slo", "demo-admin").json();
      assertEquals("breach", target(slo, "point-reads").getString("status"));
      assertTrue(target(slo, "point-reads").getDouble("p95Ms") >= 150);
      Thread.sleep(600); // several more ticks in breach: still one alert
      assertEquals(1, alerts.size(), alerts.toString());
      assertEquals("breach", alerts.get(0).getString("status"));

      // Fast point reads after the slow ones leave the 2 s window.
      long deadline = System.currentTimeMillis() + 8000;
      while (alerts.size() < 2 && System.currentTimeMillis() < deadline) {
        http.get("/v1/leads/1", "demo-reader");
        Thread.sleep(50);
      }
      assertEquals(2, alerts.size(), alerts.toString());
      assertEquals("ok", alerts.get(1).getString("status"));

      JsonArray slow = http.get("/admin/slo", "demo-admin").json().getJsonArray("slowQueries");
      assertTrue(slow.stream().anyMatch(o -> ((JsonObject) o).getString("table").equals("naps")), slow.encode());
      assertTrue(slow.stream().noneMatch(o -> ((JsonObject) o).getString("sql").contains("0.3")), "no values in the log");
    } finally {
      c.unregister();
    }
  }

  @Test
  @DisplayName("/admin/slo lists every configured target; non-admin keys get 403")
  void sloShape() {
    JsonObject slo = http.get("/admin/slo", "demo-admin").json();
    assertNotNull(target(slo, "point-reads"));
    assertTrue(slo.getJsonArray("alerts").size() >= 6);
    assertEquals(403, http.get("/admin/slo", "demo-reader").status());
    assertEquals(403, http.get("/admin/db", "demo-writer").status());
  }

  @Test
  @DisplayName("/admin/db answers every section from the catalog")
  void diagnostics() {
    http.get("/v1/leads?limit=5", "demo-reader");
    Http.Response r = http.get("/admin/db", "demo-admin");
    assertEquals(200, r.status(), r.body());
    JsonObject db = r.json();
    for (String section : List.of("pool", "topByMeanTime", "topByCalls", "bufferCacheHitRatio", "tableSizes", "indexSizes",
        "deadTuples", "unusedIndexes", "longRunning", "blockingLocks")) {
      assertTrue(db.containsKey(section), "missing " + section);
      assertTrue(!(db.getValue(section) instanceof JsonObject o) || !o.containsKey("error"), section + ": " + db.getValue(section));
    }
    assertTrue(db.getJsonArray("tableSizes").stream().anyMatch(o -> ((JsonObject) o).getString("table").equals("leads")));
  }

  @Test
  @DisplayName("/admin/explain shows the read's SQL and its plan, with analyze on request")
  void explain() {
    JsonObject e = http.get("/admin/explain/leads?status=eq.new&order=created_at.desc&limit=5", "demo-admin").json();
    assertTrue(e.getString("sql").contains("ORDER BY t.created_at DESC"), e.encode());
    assertNotNull(e.getValue("plan"));
    JsonObject analyzed = http.get("/admin/explain/leads?limit=5&analyze=true", "demo-admin").json();
    assertTrue(analyzed.getValue("plan").toString().contains("Actual Total Time"));
  }

  @Test
  @DisplayName("/metrics carries operation histograms and the SLO gauges")
  void prometheus() {
    http.get("/v1/leads/1", "demo-reader");
    String text = http.get("/metrics", null).body();
    assertTrue(text.contains("sluice_operation_seconds_bucket{"), "operation histogram");
    assertTrue(text.contains("operation=\"read.get\""));
    assertTrue(text.contains("operation=\"cache.get\""), "cache reads are timed too");
    assertTrue(text.contains("sluice_slo_status{target=\"point-reads\"}"));
    assertTrue(text.contains("sluice_cache_hits_total") || text.contains("sluice_cache_misses_total"));
  }

  static void waitFor(java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean() && System.currentTimeMillis() < deadline) Thread.sleep(20);
  }
}
