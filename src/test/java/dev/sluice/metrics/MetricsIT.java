package dev.sluice.metrics;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Eventually;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slow statement (a test-only resource over a view that sleeps) drives a target into breach:
 * exactly one alert, then recovery with one more. Windows are shortened by configuration.
 */
@DisplayName("Metrics: SLO breach and recovery with one alert each, diagnostics, explain, slow-query log")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
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

  /** GET on the gateway from Vert.x's web client, for checks made inside callbacks (never the blocking Http). */
  static Future<JsonObject> getJson(WebClient web, String path, String key) {
    return web.get(gw.port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + key).send()
        .map(HttpResponse::bodyAsJsonObject);
  }

  @Test
  @DisplayName("a committed write's change event is timed from commit to arrival: the realtime target has data")
  void changeDelivery(Vertx vertx, VertxTestContext test) {
    assertEquals(200, http.send("PATCH", "/v1/leads?id=eq.1", "demo-writer", "application/json",
        "{\"priority\": 2}").status());
    WebClient web = WebClient.create(vertx);
    AtomicReference<JsonObject> seen = new AtomicReference<>();
    Eventually.until(vertx, 10_000, "the realtime target has a sample",
            () -> getJson(web, "/admin/slo", "demo-admin").map(slo -> {
              seen.set(target(slo, "realtime"));
              return seen.get().getLong("count") >= 1;
            }))
        .compose(v -> web.get(gw.port, "127.0.0.1", "/metrics").send())
        .onComplete(test.succeeding(metrics -> test.verify(() -> {
          JsonObject realtime = seen.get();
          assertTrue(realtime.getDouble("p95Ms") >= 0 && !"no_data".equals(realtime.getString("status")), realtime.encode());
          assertTrue(metrics.bodyAsString().contains("sluice_operation_seconds_count{operation=\"realtime\""));
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a slow statement breaches the target once, and recovery is announced once")
  void breachAndRecover(Vertx vertx, VertxTestContext test) {
    WebClient web = WebClient.create(vertx);
    List<JsonObject> alerts = new CopyOnWriteArrayList<>();
    AtomicBoolean recovered = new AtomicBoolean();
    AtomicReference<MessageConsumer<JsonObject>> consumer = new AtomicReference<>();
    MessageConsumer<JsonObject> c = gw.vertx.eventBus().consumer(Addresses.ALERTS, m -> {
      if (!"point-reads".equals(m.body().getString("name")) || recovered.get()) return;
      alerts.add(m.body());
      if (alerts.size() == 1) {
        // In breach: the report says so; then fast point reads until the slow ones leave the 2 s window.
        getJson(web, "/admin/slo", "demo-admin").onComplete(test.succeeding(slo -> test.verify(() -> {
          assertEquals("breach", alerts.get(0).getString("status"));
          assertEquals("breach", target(slo, "point-reads").getString("status"));
          assertTrue(target(slo, "point-reads").getDouble("p95Ms") >= 150);
          fastReadsUntil(vertx, web, recovered);
        })));
      } else {
        // The next alert after the breach, however many ticks in breach came between, is the recovery.
        recovered.set(true);
        test.verify(() -> assertEquals(List.of("breach", "ok"), alerts.stream().map(a -> a.getString("status")).toList()));
        getJson(web, "/admin/slo", "demo-admin").onComplete(test.succeeding(slo -> test.verify(() -> {
          JsonArray slow = slo.getJsonArray("slowQueries");
          assertTrue(slow.stream().anyMatch(o -> ((JsonObject) o).getString("table").equals("naps")), slow.encode());
          assertTrue(slow.stream().noneMatch(o -> ((JsonObject) o).getString("sql").contains("0.3")), "no values in the log");
          consumer.get().unregister();
          test.completeNow();
        })));
      }
    });
    consumer.set(c);
    // Four slow point reads, one after the other (each statement sleeps 0.3 s), once the consumer listens.
    Future<Void> reads = c.completion();
    for (int i = 0; i < 4; i++) {
      reads = reads.compose(v -> web.get(gw.port, "127.0.0.1", "/v1/naps/1").putHeader("Authorization", "Bearer demo-reader")
          .send().map(r -> {
            test.verify(() -> assertEquals(200, r.statusCode()));
            return null;
          }));
    }
    reads.onFailure(test::failNow);
  }

  /** One fast point read at a time, 50 ms apart, until {@code stop}. */
  static void fastReadsUntil(Vertx vertx, WebClient web, AtomicBoolean stop) {
    if (stop.get()) return;
    web.get(gw.port, "127.0.0.1", "/v1/leads/1").putHeader("Authorization", "Bearer demo-reader").send()
        .onComplete(r -> vertx.setTimer(50, t -> fastReadsUntil(vertx, web, stop)));
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
}
