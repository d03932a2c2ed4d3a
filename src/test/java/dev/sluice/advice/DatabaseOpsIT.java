package dev.sluice.advice;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Database operations on the real database: the gauges in /metrics, the advisor's items over a
 * table made to need them (never analysed, half dead, an unused index, sequential scans filtering
 * on an unindexed column), the gateway's own ANALYZE after a large NDJSON import, and an alert on
 * the database gauges delivered to a real webhook (a local HTTP server that fails the first POST,
 * so the retry is seen).
 */
@DisplayName("Database operations: gauges, the maintenance advisor, ANALYZE after imports, alert webhooks")
class DatabaseOpsIT {
  static final List<String> SETUP = List.of(
      "CREATE TABLE advice_probe (id bigint PRIMARY KEY, payload text NOT NULL, grp int NOT NULL) "
          + "WITH (autovacuum_enabled = false)",
      "CREATE INDEX advice_probe_grp_idx ON advice_probe (grp)",
      "INSERT INTO advice_probe SELECT g, 'p' || g, g % 10 FROM generate_series(1, 20000) g",
      "DELETE FROM advice_probe WHERE id % 2 = 0",
      "CREATE TABLE apply_probe (id int) WITH (autovacuum_enabled = false)",
      "INSERT INTO apply_probe SELECT g FROM generate_series(1, 100) g");

  static Vertx hookVertx;
  static HttpServer hook;
  static final List<JsonObject> received = new CopyOnWriteArrayList<>();
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    hookVertx = Vertx.vertx();
    // A webhook receiver that refuses the first POST (500) and takes the rest.
    hook = Http.await(hookVertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(body.toJsonObject());
      req.response().setStatusCode(received.size() == 1 ? 500 : 204).end();
    })).listen(0, "127.0.0.1"));
    JsonObject overrides = new JsonObject()
        .put("slo", new JsonObject().put("tickMs", 200))
        .put("database", new JsonObject().put("pollMs", 200).put("largeTableRows", 5000).put("analyzeAfterRows", 500))
        .put("alerts", new JsonObject().put("webhooks", new JsonArray().add("http://127.0.0.1:" + hook.actualPort() + "/hook"))
            .put("retryDelayMs", 50));
    gw = Http.await(TestGateway.start("dbops", overrides, SETUP));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
    if (hookVertx != null) Http.await(hookVertx.close());
  }

  static void waitFor(BooleanSupplier condition, long millis, String what) {
    dev.sluice.support.Poll.until(what, millis, condition);
  }

  static Double gauge(String metrics, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
    return m.find() ? Double.valueOf(m.group(1)) : null;
  }

  static JsonArray items() {
    Http.Response r = http.get("/admin/advice", "demo-admin");
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonArray("items");
  }

  static JsonObject item(JsonArray items, Predicate<JsonObject> which) {
    return items.stream().map(o -> (JsonObject) o).filter(which).findFirst().orElse(null);
  }

  @Test
  @DisplayName("/metrics exports connections by state, the database size, per-table and top-statement gauges")
  void gauges() throws Exception {
    waitFor(() -> Double.valueOf(10_000).equals(gauge(http.get("/metrics", null).body(),
        "sluice_db_table_live_tuples{table=\"advice_probe\"}")), 30_000, "advice_probe's live rows in /metrics");
    String metrics = http.get("/metrics", null).body();
    assertNotNull(gauge(metrics, "sluice_db_connections{state=\"active\"}"), "connections by state");
    assertTrue(gauge(metrics, "sluice_db_connections{state=\"idle\"}") >= 1, "the gateway's idle connections");
    assertTrue(gauge(metrics, "sluice_db_connections_max") > 0);
    assertTrue(gauge(metrics, "sluice_db_size_bytes") > 1_000_000);
    assertEquals(10_000.0, gauge(metrics, "sluice_db_table_dead_tuples{table=\"advice_probe\"}"));
    assertEquals(0.5, gauge(metrics, "sluice_db_table_dead_ratio{table=\"advice_probe\"}"));
    assertTrue(metrics.contains("sluice_db_table_index_hit_ratio{table=\"leads\"}"));
    assertTrue(metrics.contains("sluice_db_table_analyze_age_seconds{table=\"leads\"}"));
    assertTrue(metrics.contains("sluice_db_table_index_usage_ratio{table=\"leads\"}"));
    assertTrue(metrics.contains("sluice_db_statement_mean_seconds{queryid=\""), "pg_stat_statements' top statements");
    assertTrue(metrics.contains("sluice_db_statement_hit_ratio{queryid=\""));
  }

  @Test
  @DisplayName("the advisor names each problem of the probe table with its numbers and the SQL to apply; admins only")
  void advice() throws Exception {
    assertEquals(403, http.get("/admin/advice", "demo-reader").status());
    assertEquals(401, http.get("/admin/advice", null).status());
    // Sequential scans that filter on an unindexed column, as an application would run them.
    for (int i = 0; i < 3; i++) {
      Http.await(gw.db.preparedQuery("SELECT count(*) FROM advice_probe WHERE payload = $1").execute(Tuple.of("p" + i)));
    }
    waitFor(() -> item(items(), i -> "missing-index".equals(i.getString("kind"))
        && "advice_probe".equals(i.getString("table"))) != null
        && item(items(), i -> "vacuum".equals(i.getString("kind")) && "advice_probe".equals(i.getString("table"))) != null,
        30_000, "the probe table's statistics to reach the advisor");
    JsonArray items = items();

    JsonObject missing = item(items, i -> "missing-index".equals(i.getString("kind")) && "advice_probe".equals(i.getString("table")));
    assertEquals("CREATE INDEX CONCURRENTLY ON advice_probe (payload);", missing.getString("sql"), missing.encode());
    JsonObject evidence = missing.getJsonObject("evidence");
    assertTrue(evidence.getLong("seqScans") >= 3 && evidence.getLong("avgRowsPerSeqScan") >= 5000, evidence.encode());
    assertTrue(evidence.getJsonArray("statements").stream().map(o -> (JsonObject) o)
        .anyMatch(s -> s.getString("query").contains("payload = $1")), evidence.encode());

    JsonObject vacuum = item(items, i -> "vacuum".equals(i.getString("kind")) && "advice_probe".equals(i.getString("table")));
    assertEquals("VACUUM (ANALYZE) advice_probe;", vacuum.getString("sql"));
    assertEquals(10_000L, vacuum.getJsonObject("evidence").getLong("deadRows"));
    assertEquals(0.5, vacuum.getJsonObject("evidence").getDouble("deadRatio"));

    JsonObject unused = item(items, i -> "unused-index".equals(i.getString("kind"))
        && "advice_probe_grp_idx".equals(i.getJsonObject("evidence").getString("index")));
    assertNotNull(unused, items.encode());
    assertEquals("DROP INDEX CONCURRENTLY advice_probe_grp_idx;", unused.getString("sql"));
    assertTrue(unused.getJsonObject("evidence").getLong("bytes") > 0);
    assertTrue(item(items, i -> "unused-index".equals(i.getString("kind"))
            && i.getJsonObject("evidence").getString("definition").matches(".*USING (hnsw|ivfflat).*")) == null,
        "the ANN index the catalog needs is never advised away: " + items.encode());

    JsonObject analyze = item(items, i -> "analyze".equals(i.getString("kind")) && "advice_probe".equals(i.getString("table")));
    assertNotNull(analyze, "never analysed (autovacuum off): " + items.encode());
    assertEquals("ANALYZE advice_probe;", analyze.getString("sql"));
    for (Object o : items) {
      JsonObject i = (JsonObject) o;
      assertTrue(i.getString("why").length() > 20 && i.getJsonObject("evidence") != null && i.getString("id") != null, i.encode());
    }

    // The same report on the event bus.
    JsonObject bus = Http.await(gw.vertx.eventBus().<JsonObject>request(AdvisorVerticle.ADDRESS, new JsonObject())).body();
    assertTrue(bus.getJsonArray("items").size() >= 4 && bus.getString("generatedAt") != null);
  }

  @Test
  @DisplayName("an admin's request applies an analyze item; other kinds, unknown ids and non-admins are refused")
  void apply() throws Exception {
    String body = "{\"id\": \"analyze:apply_probe\"}";
    assertEquals(403, http.send("POST", "/admin/advice/apply", "demo-writer", "application/json", body).status());
    waitFor(() -> item(items(), i -> "analyze:apply_probe".equals(i.getString("id"))) != null, 30_000,
        "the never analysed apply_probe in the advice");
    Http.Response r = http.send("POST", "/admin/advice/apply", "demo-admin", "application/json", body);
    assertEquals(200, r.status(), r.body());
    assertEquals("ANALYZE \"apply_probe\"", r.json().getString("sql"));
    waitFor(() -> Http.await(gw.db.query("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'apply_probe'")
        .execute()).iterator().next().getOffsetDateTime(0) != null, 10_000, "apply_probe's last_analyze");

    Http.Response unknown = http.send("POST", "/admin/advice/apply", "demo-admin", "application/json", "{\"id\": \"analyze:nope\"}");
    assertEquals(404, unknown.status(), unknown.body());
    Http.Response index = http.send("POST", "/admin/advice/apply", "demo-admin", "application/json",
        "{\"id\": \"unused-index:advice_probe:advice_probe_grp_idx\"}");
    assertEquals(400, index.status(), index.body());
    assertEquals("DROP INDEX CONCURRENTLY advice_probe_grp_idx;",
        index.json().getJsonObject("error").getJsonObject("details").getString("sql"));
    assertEquals(400, http.send("POST", "/admin/advice/apply", "demo-admin", "application/json", "[1]").status());
  }

  @Test
  @DisplayName("a committed NDJSON import over database.analyzeAfterRows makes the gateway ANALYZE the table")
  void analyzeAfterImport() throws Exception {
    OffsetDateTime before = Http.await(gw.db.query("SELECT now()").execute()).iterator().next().getOffsetDateTime(0);
    StringBuilder ndjson = new StringBuilder();
    for (int i = 0; i < 600; i++) ndjson.append("{\"title\":\"import ").append(i).append("\"}\n");
    Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", ndjson.toString());
    assertEquals(200, r.status(), r.body());
    assertEquals(600, r.json().getInteger("inserted"));
    waitFor(() -> {
      Row row = Http.await(gw.db.query("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'leads'").execute())
          .iterator().next();
      OffsetDateTime last = row.getOffsetDateTime(0);
      return last != null && last.isAfter(before);
    }, 30_000, "ANALYZE leads after the import");
    waitFor(() -> http.get("/metrics", null).body().contains("sluice_db_auto_analyze_total{outcome=\"done\",table=\"leads\"}"),
        10_000, "the auto-analyze counter");
  }

  @Test
  @DisplayName("the dead-tuple threshold breaches: the alert has a severity, is in /admin/slo, and reaches the webhook after a retry")
  void alertToWebhook() throws Exception {
    waitFor(() -> received.size() >= 2, 30_000, "two POSTs to the webhook (the first one refused)");
    // One POST in flight per webhook: the refused first one was retried before anything else was sent.
    assertEquals(received.get(0), received.get(1), "the refused POST is retried with the same body");
    waitFor(() -> received.stream().anyMatch(b -> "db-dead-tuples".equals(b.getString("alert"))), 30_000,
        "the db-dead-tuples alert at the webhook");
    JsonObject dead = received.stream().filter(b -> "db-dead-tuples".equals(b.getString("alert"))).findFirst().orElseThrow();
    assertEquals("breach", dead.getString("status"));
    assertEquals("warning", dead.getString("severity"));
    assertEquals("alert", dead.getString("kind"));
    assertTrue(dead.getJsonObject("detail").getDouble("value") > 0.1, dead.encode());
    assertEquals(0.1, dead.getJsonObject("detail").getDouble("threshold"));

    JsonObject slo = http.get("/admin/slo", "demo-admin").json();
    JsonObject alert = slo.getJsonArray("alerts").stream().map(o -> (JsonObject) o)
        .filter(a -> "db-dead-tuples".equals(a.getString("name"))).findFirst().orElseThrow();
    assertEquals("breach", alert.getString("status"));
    assertTrue(slo.getJsonArray("alerts").stream().map(o -> ((JsonObject) o).getString("name")).toList()
        .containsAll(List.of("db-connections", "db-cache-hit-ratio", "db-index-hit-ratio")));
    String metrics = http.get("/metrics", null).body();
    assertTrue(gauge(metrics, "sluice_alerts_webhook_total{outcome=\"delivered\"}") >= 1, metrics);
  }
}
