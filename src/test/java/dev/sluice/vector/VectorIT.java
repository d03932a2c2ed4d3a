package dev.sluice.vector;

import dev.sluice.Gateway;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataRequest;
import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.SluiceConfig;
import dev.sluice.metrics.Metrics;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vector search end to end on a gateway of its own: the first 1,000 documents of debian-minilm
 * (HNSW, cosine), plus two test-only resources built by the set-up SQL: {@code notes}, tenant
 * scoped, 20,000 rows of 8-d vectors under HNSW (l2), where kind 'rare' is 1 % of each tenant's
 * rows; and {@code clips}, 2,000 rows under IVFFlat (inner product). On 1,000 documents the planner
 * rightly prefers a sequential scan; the notes table is where the HNSW index serves filtered searches.
 */
@DisplayName("Vector search: search, similar, knobs without leaks, filtered and tenant-scoped ANN, admin, bus, bad input")
class VectorIT {
  static TestGateway gw;
  static Http http;
  static float[][] queries;

  /**
   * Deterministic 8-d vectors: row g's components are sines of g. Two tenants (org_id 1 + g % 2); kind 'rare'
   * is every 100th row of each tenant. The body makes rows as wide as real ones, so the planner weighs a
   * sequential scan as it would on a real table and picks the HNSW index for the filtered search.
   */
  static final List<String> SETUP = List.of(
      "CREATE TABLE notes (id bigint PRIMARY KEY, org_id bigint NOT NULL, kind text NOT NULL, title text NOT NULL, "
          + "body text NOT NULL, embedding vector(8) NOT NULL)",
      "INSERT INTO notes SELECT g, 1 + g % 2, CASE WHEN (g / 2) % 100 = 0 THEN 'rare' ELSE 'common' END, 'note ' || g, "
          + "repeat('note body ', 150), ARRAY(SELECT sin(g * (d + 1) * 0.618 + d) FROM generate_series(0, 7) d)::float4[]::vector "
          + "FROM generate_series(1, 20000) g",
      "CREATE INDEX notes_embedding_idx ON notes USING hnsw (embedding vector_l2_ops)",
      "ANALYZE notes",
      "CREATE TABLE clips (id bigint PRIMARY KEY, label text NOT NULL, embedding vector(8) NOT NULL)",
      "INSERT INTO clips SELECT g, 'clip ' || g, "
          + "ARRAY(SELECT cos(g * (d + 1) * 0.377 + d) FROM generate_series(0, 7) d)::float4[]::vector "
          + "FROM generate_series(1, 2000) g",
      "CREATE INDEX clips_embedding_idx ON clips USING ivfflat (embedding vector_ip_ops) WITH (lists = 20)",
      "ANALYZE clips",
      // for the start-up check: an l2 index that a cosine resource could never use
      "CREATE TABLE mismatched (id bigint PRIMARY KEY, embedding vector(8) NOT NULL)",
      "CREATE INDEX mismatched_embedding_idx ON mismatched USING hnsw (embedding vector_l2_ops)");

  static JsonObject resources() {
    return new JsonObject()
        .put("notes", new JsonObject().put("table", "notes").put("primaryKey", "id").put("tenantColumn", "org_id")
            .put("fields", new JsonArray().add("id").add("org_id").add("kind").add("title").add("embedding"))
            .put("vectors", new JsonObject().put("embedding", new JsonObject().put("dimensions", 8).put("metric", "l2")))
            .put("cacheTtlSeconds", 0))
        .put("clips", new JsonObject().put("table", "clips").put("primaryKey", "id")
            .put("fields", new JsonArray().add("id").add("label").add("embedding"))
            .put("vectors", new JsonObject().put("embedding", new JsonObject().put("dimensions", 8).put("metric", "inner_product")))
            .put("cacheTtlSeconds", 0));
  }

  @BeforeAll
  static void start() throws Exception {
    JsonObject overrides = new JsonObject()
        .put("demo", new JsonObject().put("leads", 200))
        .put("vector", new JsonObject().put("instances", 1))
        .put("resources", resources());
    gw = Http.await(TestGateway.start("vector", overrides, SETUP));
    http = new Http(gw.port);
    queries = VectorFiles.fvecs(Path.of(TestGateway.documentsPath(), "dev-queries.fvecs"));
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static String vec(float[] v) {
    return VectorFiles.json(v);
  }

  static Http.Response search(String resource, String key, String body) {
    return http.send("POST", "/v1/" + resource + "/search", key, "application/json", body);
  }

  static JsonArray ok(String resource, String body) {
    Http.Response r = search(resource, "demo-reader", body);
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonArray("data");
  }

  static List<Long> ids(JsonArray data) {
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) out.add(data.getJsonObject(i).getLong("id"));
    return out;
  }

  static void assertAscending(JsonArray data) {
    for (int i = 1; i < data.size(); i++) {
      assertTrue(data.getJsonObject(i - 1).getDouble("distance") <= data.getJsonObject(i).getDouble("distance"),
          "nearest first: " + data.encode());
    }
  }

  static String badRequest(String resource, String body) {
    Http.Response r = search(resource, "demo-reader", body);
    assertEquals(400, r.status(), body.length() > 200 ? body.substring(0, 200) : body);
    assertEquals("bad_request", r.json().getJsonObject("error").getString("code"));
    assertFalse(r.body().toLowerCase().contains("select "), "no SQL in errors");
    return r.json().getJsonObject("error").getString("message");
  }

  static float[] notesVector(int g) {
    float[] v = new float[8];
    for (int d = 0; d < 8; d++) v[d] = (float) Math.sin(g * (d + 1) * 0.618 + d);
    return v;
  }

  @Test
  @DisplayName("a search returns k rows of the selected fields with their distance, nearest first, as the exact search does")
  void search() {
    String q = vec(queries[0]);
    JsonArray data = ok("documents", "{\"vector\":" + q + ",\"k\":10,\"select\":\"id,package\"}");
    assertEquals(10, data.size());
    assertAscending(data);
    JsonObject first = data.getJsonObject(0);
    assertEquals(Set.of("id", "package", "distance"), first.fieldNames());
    JsonArray exact = ok("documents", "{\"vector\":" + q + ",\"k\":10,\"select\":\"id\",\"exact\":true}");
    Set<Long> overlap = new HashSet<>(ids(data));
    overlap.retainAll(ids(exact));
    assertTrue(overlap.size() >= 9, "ANN top-10 close to the exact top-10: " + ids(data) + " vs " + ids(exact));

    // k beyond ef_search: the iterative scan goes on until k rows are found
    JsonArray self = ok("documents", "{\"vector\":" + vec(queries[1]) + ",\"k\":1000,\"efSearch\":400}");
    assertEquals(1000, self.size(), "k = 1000 returns every one of the 1,000 documents");
    assertAscending(self);
    assertFalse(self.getJsonObject(0).containsKey("embedding"), "vectors are returned only when selected");
  }

  @Test
  @DisplayName("a 1 % filter (a rare section) still returns k rows, all of them matching, the exact answer")
  void rareSection() {
    // 'gnome' is 10 of the first 1,000 documents
    String q = vec(queries[3]);
    JsonArray data = ok("documents", "{\"vector\":" + q + ",\"k\":10,\"select\":\"id,section\",\"filter\":\"section=eq.gnome\"}");
    assertEquals(10, data.size(), data.encode());
    for (int i = 0; i < data.size(); i++) assertEquals("gnome", data.getJsonObject(i).getString("section"));
    assertAscending(data);
    JsonArray exact = ok("documents",
        "{\"vector\":" + q + ",\"k\":10,\"select\":\"id\",\"filter\":\"section=eq.gnome\",\"exact\":true}");
    assertEquals(new HashSet<>(ids(exact)), new HashSet<>(ids(data)));
  }

  @Test
  @DisplayName("tenant-scoped filtered ANN: the HNSW index serves it, and the iterative scan fills k rows where a plain scan would not")
  void tenantScopedIterativeScan() {
    float[] v = notesVector(77_777);
    String body = "{\"vector\":" + vec(v) + ",\"k\":10,\"select\":\"id,org_id,kind\",\"filter\":\"kind=eq.rare\"}";
    for (String key : List.of("demo-reader", "demo-reader-2")) {
      long tenant = key.equals("demo-reader") ? 1 : 2;
      Http.Response r = search("notes", key, body);
      assertEquals(200, r.status(), r.body());
      JsonArray data = r.json().getJsonArray("data");
      assertEquals(10, data.size(), "k rows although only 0.5 % of the table matches: " + data.encode());
      for (int i = 0; i < data.size(); i++) {
        assertEquals(tenant, data.getJsonObject(i).getLong("org_id"), "only the caller's tenant");
        assertEquals("rare", data.getJsonObject(i).getString("kind"));
      }
      assertAscending(data);
    }

    // The same statement, run directly: the planner uses the HNSW index, and without an iterative
    // scan (ef_search 100, pgvector's 0.7 behaviour) the index yields far fewer than k matching rows.
    VectorIndexes.Columns columns = Http.await(VectorIndexes.verify(gw.db, gw.gateway.catalog(), settings()));
    SearchRequest q = SearchRequest.search(gw.gateway.catalog(), columns, settings(),
        new DataRequest("notes", 1, null, new JsonObject(), Buffer.buffer(body), true));
    SearchSql.Statement s = SearchSql.search(q);
    String plan = Http.await(gw.db.withTransaction(c -> c.query("SET LOCAL hnsw.ef_search = 100").execute()
        .compose(x -> c.preparedQuery("EXPLAIN " + s.sql()).execute(s.params().tuple()))
        .map(VectorIT::text)));
    assertTrue(plan.contains("notes_embedding_idx"), plan);
    int plain = Http.await(gw.db.withTransaction(c -> c.query("SET LOCAL hnsw.ef_search = 100").execute()
        .compose(x -> c.query("SET LOCAL hnsw.iterative_scan = off").execute())
        .compose(x -> c.preparedQuery(s.sql()).execute(s.params().tuple())).map(RowSet::size)));
    assertTrue(plain < 10, "a non-iterative scan finds only " + plain + " of 10");
  }

  static String text(RowSet<Row> rs) {
    StringBuilder sb = new StringBuilder();
    for (Row r : rs) sb.append(r.getString(0)).append('\n');
    return sb.toString();
  }

  static VectorSettings settings() {
    return VectorSettings.from(gw.config);
  }

  @Test
  @DisplayName("similar uses the stored row's vector, leaves the row out, and is a 404 for a missing or another tenant's row")
  void similar() {
    Http.Response r = http.get("/v1/documents/5/similar?k=5&select=id,package", "demo-reader");
    assertEquals(200, r.status(), r.body());
    JsonArray data = r.json().getJsonArray("data");
    assertEquals(5, data.size());
    assertFalse(ids(data).contains(5L), "the row itself is left out");
    assertAscending(data);

    // tenant scoping: note 1 belongs to tenant 2 (org_id = 1 + id % 2)
    Http.Response mine = http.get("/v1/notes/1/similar?k=7&kind=eq.common", "demo-reader-2");
    assertEquals(200, mine.status(), mine.body());
    JsonArray notes = mine.json().getJsonArray("data");
    assertEquals(7, notes.size());
    for (int i = 0; i < notes.size(); i++) {
      assertEquals(2L, notes.getJsonObject(i).getLong("org_id"));
      assertEquals("common", notes.getJsonObject(i).getString("kind"));
    }
    assertEquals(404, http.get("/v1/notes/1/similar", "demo-reader").status(), "another tenant's row");
    assertEquals(404, http.get("/v1/documents/999999/similar", "demo-reader").status());
    assertEquals(400, http.get("/v1/documents/abc/similar", "demo-reader").status());
    assertEquals(400, http.get("/v1/documents/5/similar?k=0", "demo-reader").status());
  }

  @Test
  @DisplayName("IVFFlat: probes is the knob (ranges checked), efSearch is refused, inner product orders the rows")
  void ivfflat() {
    float[] v = new float[8];
    for (int d = 0; d < 8; d++) v[d] = (float) Math.cos(17 * (d + 1) * 0.377 + d);
    // probes = lists: every list is scanned, so the answer is the exact one
    JsonArray data = ok("clips", "{\"vector\":" + vec(v) + ",\"k\":5,\"probes\":20}");
    assertEquals(5, data.size());
    assertAscending(data);
    JsonArray exact = ok("clips", "{\"vector\":" + vec(v) + ",\"k\":5,\"exact\":true}");
    assertEquals(ids(exact), ids(data));
    assertTrue(data.getJsonObject(0).getDouble("distance") < 0, "<#> is the negative inner product");
    assertEquals(5, ok("clips", "{\"vector\":" + vec(v) + ",\"k\":5}").size(), "the default probes");
    assertTrue(badRequest("clips", "{\"vector\":" + vec(v) + ",\"efSearch\":100}").contains("probes"));
    assertTrue(badRequest("clips", "{\"vector\":" + vec(v) + ",\"probes\":0}").contains("between 1 and 1000"));
    assertTrue(badRequest("documents", "{\"vector\":" + vec(queries[0]) + ",\"probes\":5}").contains("efSearch"));
  }

  @Test
  @DisplayName("bad input is a 400 that names the problem")
  void badInput() {
    String good = vec(queries[0]);
    assertTrue(badRequest("documents", "{\"vector\":[1,2,3]}").contains("needs 384"));
    assertTrue(badRequest("documents", "{\"vector\":[]}").contains("empty"));
    assertTrue(badRequest("documents", "{\"k\":3}").contains("vector is required"));
    assertTrue(badRequest("documents", "{\"vector\":\"1,2\"}").contains("JSON array"));
    String withNaN = good.replaceFirst("^\\[[^,]+,", "[NaN,");
    assertTrue(badRequest("documents", "{\"vector\":" + withNaN + "}").contains("NaN"));
    String withInf = good.replaceFirst("^\\[[^,]+,", "[1e39,");
    assertTrue(badRequest("documents", "{\"vector\":" + withInf + "}").contains("vector[0] is not a finite number"));
    String withInfWord = good.replaceFirst("^\\[[^,]+,[^,]+,", "[0.1,\"Infinity\",");
    assertTrue(badRequest("documents", "{\"vector\":" + withInfWord + "}").contains("vector[1] is not a finite number"));
    String withText = good.replaceFirst("^\\[[^,]+,", "[\"a\",");
    assertTrue(badRequest("documents", "{\"vector\":" + withText + "}").contains("vector[0] is not a number"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"k\":0}").contains("k must be between 1 and 1000"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"k\":1001}").contains("k must be between 1 and 1000"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"k\":2.5}").contains("whole number"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"efSearch\":5}").contains("efSearch must be between 10 and 1000"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"efSearch\":1001}").contains("efSearch must be between"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"filter\":\"nope=eq.1\"}").contains("Unknown filter field"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"select\":\"id,nope\"}").contains("Unknown field"));
    assertTrue(badRequest("documents", "{\"vector\":" + good + ",\"kk\":3}").contains("Unknown field 'kk'"));
    assertTrue(badRequest("documents", "[1,2]").contains("JSON object"));
    assertTrue(badRequest("leads", "{\"vector\":[1]}").contains("no vector column"));
    assertEquals(404, search("nope", "demo-reader", "{\"vector\":[1]}").status());
    assertEquals(401, search("documents", null, "{\"vector\":" + good + "}").status());
  }

  @Test
  @DisplayName("a knob set for one query ends with its transaction: the pooled connection used next sees the default again")
  void knobsDoNotLeak() {
    VectorSettings settings = settings();
    String dflt = String.valueOf(settings.efSearch().dflt());
    // one connection: whatever a query leaves behind, the next user of the pool sees it
    VectorSettings single = new VectorSettings(settings.efSearch(), settings.probes(), settings.iterativeScan(),
        settings.maxScanTuples(), settings.maxProbes(), settings.allowExact(), 1, 1, settings.planCacheMode(),
        settings.indexes());
    Pool one = VectorClients.pool(gw.vertx, gw.config.pg(), gw.config.pg().url(), single);
    try {
      VectorIndexes.Columns columns = Http.await(VectorIndexes.verify(one, gw.gateway.catalog(), settings));
      VectorSearch search = new VectorSearch(gw.gateway.catalog(), settings, columns, one, null,
          VectorClients.sessionKnobs(gw.config.pg(), settings));
      // Outside a search a connection has the configured default as its session's own setting; behind
      // PgBouncer no session is the gateway's, so it has the server's, and every search sets the default itself.
      String outside = gw.config.pg().pgbouncer() ? show(gw.db) : dflt;
      String scanOutside = gw.config.pg().pgbouncer() ? Http.await(gw.db.query("SHOW hnsw.iterative_scan").execute()
          .map(rs -> rs.iterator().next().getString(0))) : "relaxed_order";
      assertEquals(outside, show(one), "the configured default is the session's own setting");
      if (gw.config.pg().pgbouncer()) {
        assertEquals(dflt, Http.await(search.withKnobs(List.of(),
            c -> c.query("SHOW hnsw.ef_search").execute().map(rs -> rs.iterator().next().getString(0)))));
      }

      String inside = Http.await(search.withKnobs(List.of(new VectorSearch.Setting("hnsw.ef_search", "321")),
          c -> c.query("SHOW hnsw.ef_search").execute().map(rs -> rs.iterator().next().getString(0))));
      assertEquals("321", inside, "SET LOCAL applies inside the query's transaction");
      assertEquals(outside, show(one), "and ends with it");

      // a real search with its own efSearch, on the same single connection
      Buffer body = Http.await(search.search(new DataRequest("documents", 1, null, new JsonObject(),
          Buffer.buffer("{\"vector\":" + vec(queries[2]) + ",\"k\":3,\"efSearch\":321}"), true)));
      assertEquals(3, new JsonObject(body).getJsonArray("data").size());
      assertEquals(outside, show(one));

      // a query that fails inside the transaction: rolled back, the setting goes with it
      Throwable failed = Http.awaitFailure(search.withKnobs(List.of(new VectorSearch.Setting("hnsw.ef_search", "222")),
          c -> c.query("SELECT 1 / 0").execute()));
      assertNotNull(failed);
      assertEquals(outside, show(one));

      // work that throws before sending anything: COMMIT still follows BEGIN, the connection is not left in the transaction
      Throwable thrown = Http.awaitFailure(search.withKnobs(List.of(new VectorSearch.Setting("hnsw.ef_search", "223")),
          c -> { throw new IllegalStateException("no statement"); }));
      assertEquals("no statement", thrown.getMessage());
      assertEquals(outside, show(one));
      assertEquals(scanOutside, Http.await(one.query("SHOW hnsw.iterative_scan").execute()
          .map(rs -> rs.iterator().next().getString(0))));
    } finally {
      Http.await(one.close());
    }
  }

  static String show(Pool pool) {
    return Http.await(pool.query("SHOW hnsw.ef_search").execute().map(rs -> rs.iterator().next().getString(0)));
  }

  @Test
  @DisplayName("search and similar answer JSON consumers on the event bus, with errors as ReplyException(status, JSON body)")
  void eventBus() {
    JsonArray vector = new JsonArray();
    for (float f : queries[0]) vector.add(f);
    JsonObject reply = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.SEARCH, new JsonObject()
        .put("resource", "documents").put("tenant", 1).put("vector", vector).put("k", 3).put("select", "id"))).body();
    assertEquals(3, reply.getJsonArray("data").size());

    JsonObject viaBody = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.SEARCH, new JsonObject()
        .put("resource", "documents").put("apiKey", "demo-reader")
        .put("body", new JsonObject().put("vector", vector).put("k", 2)))).body();
    assertEquals(2, viaBody.getJsonArray("data").size());

    JsonObject similar = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.SIMILAR, new JsonObject()
        .put("resource", "documents").put("tenant", 1).put("id", 5).put("k", 4).put("section", "neq.nothing"))).body();
    assertEquals(4, similar.getJsonArray("data").size());

    ReplyException bad = (ReplyException) Http.awaitFailure(gw.vertx.eventBus().request(Addresses.SEARCH, new JsonObject()
        .put("resource", "documents").put("tenant", 1).put("vector", vector).put("k", 0)));
    assertEquals(400, bad.failureCode());
    assertEquals("bad_request", new JsonObject(bad.getMessage()).getJsonObject("error").getString("code"));
    ReplyException missing = (ReplyException) Http.awaitFailure(gw.vertx.eventBus().request(Addresses.SIMILAR,
        new JsonObject().put("resource", "documents").put("tenant", 1).put("id", 424242)));
    assertEquals(404, missing.failureCode());
  }

  @Test
  @DisplayName("GET /admin/vector reports each vector column's index, build, size, rows and that the planner uses it")
  void admin() {
    assertEquals(403, http.get("/admin/vector", "demo-reader").status());
    Http.Response r = http.get("/admin/vector", "demo-admin");
    assertEquals(200, r.status(), r.body());
    JsonObject report = r.json();
    Map<String, JsonObject> byResource = new java.util.HashMap<>();
    report.getJsonArray("columns").forEach(o -> byResource.put(((JsonObject) o).getString("resource"), (JsonObject) o));

    JsonObject docs = byResource.get("documents");
    assertEquals("hnsw", docs.getJsonObject("index").getString("type"));
    // the catalog's index kind for documents.embedding is halfvec (README "Index kinds"); all three are listed
    assertEquals("halfvec_cosine_ops", docs.getJsonObject("index").getString("opclass"));
    assertEquals("halfvec", docs.getJsonObject("index").getString("kind"));
    assertEquals(Set.of("vector", "halfvec", "binary"), docs.getJsonObject("indexes").fieldNames());
    // the halfvec index's build since migration V71
    assertEquals(12, docs.getJsonObject("index").getJsonObject("parameters").getInteger("m"));
    assertEquals(512, docs.getJsonObject("index").getJsonObject("parameters").getInteger("ef_construction"));
    assertTrue(docs.getJsonObject("index").getLong("sizeBytes") > 0);
    assertEquals(1000L, docs.getLong("rows"));
    assertFalse(docs.getJsonObject("planner").getJsonArray("plan").isEmpty(), docs.encode());

    JsonObject notes = byResource.get("notes");
    assertEquals("l2", notes.getString("metric"));
    assertEquals("<->", notes.getString("operator"));
    assertTrue(notes.getJsonObject("planner").getBoolean("usesIndex"), notes.encode());
    assertEquals("ivfflat", byResource.get("clips").getJsonObject("index").getString("type"));
    assertEquals(20, byResource.get("clips").getJsonObject("index").getJsonObject("parameters").getInteger("lists"));
    // Behind PgBouncer a bare connection has the server's setting (each search sets the default itself).
    assertEquals(gw.config.pg().pgbouncer() ? show(gw.db) : String.valueOf(settings().efSearch().dflt()),
        report.getJsonObject("session").getString("hnsw.ef_search"));
    // Searches run with generic plans (auto re-planned every one); behind PgBouncer statements are unnamed anyway.
    if (!gw.config.pg().pgbouncer()) {
      assertEquals("force_generic_plan", report.getJsonObject("session").getString("plan_cache_mode"));
    }
    assertEquals("force_generic_plan", report.getJsonObject("knobs").getString("planCacheMode"));
    assertNull(byResource.get("leads"));
  }

  @Test
  @DisplayName("a metric whose operator does not match the index's operator class stops the start")
  void operatorClassMismatch() {
    JsonObject overrides = new JsonObject()
        .put("pg", gw.pgOverrides().put("verticleInstances", 1).put("poolSize", 1))
        .put("http", new JsonObject().put("port", 1).put("host", "127.0.0.1").put("instances", 1))
        .put("demo", new JsonObject().put("load", false))
        .put("resources", resources().put("mismatched", new JsonObject().put("table", "mismatched").put("primaryKey", "id")
            .put("fields", new JsonArray().add("id").add("embedding"))
            .put("vectors", new JsonObject().put("embedding", new JsonObject().put("dimensions", 8).put("metric", "cosine")))));
    SluiceConfig config = Http.await(ConfigLoader.load(gw.vertx, Map.of("SLUICE_CONFIG", "conf/sluice.yaml",
        "SLUICE_REDIS_URL", gw.services().redisUrl()), overrides));
    Throwable t = Http.awaitFailure(Gateway.start(gw.vertx, config, Metrics.create()));
    assertTrue(t instanceof ConfigException, String.valueOf(t));
    assertTrue(t.getMessage().contains("resources.mismatched.vectors.embedding.metric"), t.getMessage());
    assertTrue(t.getMessage().contains("vector_cosine_ops") && t.getMessage().contains("vector_l2_ops"), t.getMessage());
  }
}
