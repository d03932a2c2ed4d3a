package dev.sluice.vector;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text in, embeddings on write, hybrid ranking and the bare-clone demo, on a gateway whose
 * demo.documentsPath names a folder that does not exist: the demo loader falls back to the sample
 * of texts the jar carries (its first 300 documents here) and the write path embeds them
 * in-process, as `./sluice run` does from a bare clone.
 */
@DisplayName("Text search: the bundled demo corpus, text in (HTTP and bus), embeddings on write, hybrid RRF, halfvec and binary indexes")
class TextSearchIT {
  static TestGateway gw;
  static Http http;
  static JsonArray reference;

  @BeforeAll
  static void start() throws Exception {
    JsonObject overrides = new JsonObject()
        .put("demo", new JsonObject().put("leads", 200).put("documentsPath", "target/no-such-data-set").put("documentsLimit", 300))
        .put("vector", new JsonObject().put("instances", 1))
        .put("embedding", new JsonObject().put("maxTextChars", 1000));
    // The start embeds 300 texts on the worker pool: allow it more than Http.await's two minutes on a busy machine.
    gw = TestGateway.start("textsearch", overrides, List.of()).toCompletionStage().toCompletableFuture()
        .get(10, java.util.concurrent.TimeUnit.MINUTES);
    http = new Http(gw.port);
    try (InputStream in = TextSearchIT.class.getResourceAsStream("/embed/minilm-reference.json")) {
      reference = new JsonArray(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static Http.Response search(String body) {
    return http.send("POST", "/v1/documents/search", "demo-reader", "application/json", body);
  }

  static JsonArray ok(String body) {
    Http.Response r = search(body);
    assertEquals(200, r.status(), r.body());
    return r.json().getJsonArray("data");
  }

  static String bad(String body) {
    Http.Response r = search(body);
    assertEquals(400, r.status(), r.body());
    return r.json().getJsonObject("error").getString("message");
  }

  static List<Long> ids(JsonArray data) {
    return VectorIT.ids(data);
  }

  static JsonObject text(String text, int k) {
    return new JsonObject().put("text", text).put("k", k).put("select", "id,package");
  }

  @Test
  @DisplayName("without the data set the demo loads the bundled sample, embedded to the data set's own vectors")
  void bundledCorpus() {
    Row counts = Http.await(gw.db.query("SELECT count(*), min(id), max(id) FROM documents").execute()).iterator().next();
    assertEquals(300L, counts.getLong(0));
    assertEquals(2L, counts.getLong(1));
    for (int i = 0; i < reference.size(); i++) {
      JsonObject doc = reference.getJsonObject(i);
      if (doc.getLong("id") % 20 != 2) continue; // only the sample's ids
      // the stored vector against docs.fvecs' row: the in-process model is the data set's model
      Row r = Http.await(gw.db.preparedQuery("SELECT 1 - (embedding <=> $1::float4[]::vector) FROM documents WHERE id = $2")
          .execute(io.vertx.sqlclient.Tuple.of(floats(doc.getJsonArray("vector")), doc.getLong("id")))).iterator().next();
      assertTrue(r.getDouble(0) > 0.9999, "document " + doc.getLong("id") + ": cosine " + r.getDouble(0));
    }
  }

  @Test
  @DisplayName("a text search finds the document whose text it is, through every index, and is counted in the metric")
  void textSearch() {
    JsonObject doc = reference.getJsonObject(2); // document 42, abacas-examples
    assertEquals(42L, doc.getLong("id"));
    for (String index : List.of("vector", "halfvec", "binary")) {
      JsonArray data = ok(text(doc.getString("text"), 3).put("index", index).encode());
      assertEquals(42L, data.getJsonObject(0).getLong("id"), index + ": " + data.encode());
      assertTrue(data.getJsonObject(0).getDouble("distance") < 1e-4, data.encode());
      assertEquals(3, data.size());
    }
    // a description in other words finds it too
    assertTrue(ids(ok(text("genome sequence assembly: ordering contigs against a reference", 5).encode())).contains(42L));
    String metrics = http.get("/metrics", null).body();
    assertTrue(metrics.contains("sluice_embedding_seconds_bucket{model=\"all-minilm-l6-v2\",use=\"query\""), "metric");
    assertTrue(metrics.contains("sluice_embedding_cache_total{result=\"hit\"}"), "cache metric");
  }

  @Test
  @DisplayName("the bus takes text as HTTP does")
  void bus() {
    JsonObject msg = new JsonObject().put("resource", "documents").put("apiKey", "demo-reader")
        .put("text", reference.getJsonObject(2).getString("text")).put("k", 2).put("select", "id");
    JsonObject reply = new JsonObject(Http.await(gw.vertx.eventBus().<Object>request(Addresses.SEARCH, msg,
        new DeliveryOptions().setSendTimeout(60_000))).body().toString());
    assertEquals(42L, reply.getJsonArray("data").getJsonObject(0).getLong("id"));
    ReplyException empty = (ReplyException) Http.awaitFailure(gw.vertx.eventBus().request(Addresses.SEARCH,
        msg.copy().put("text", "  ")));
    assertEquals(400, empty.failureCode());
  }

  @Test
  @DisplayName("bad text input is a 400 that names it")
  void badInput() {
    assertTrue(bad("{\"text\": \"\"}").contains("text is empty"));
    assertTrue(bad("{\"text\": 42}").contains("text must be a string"));
    assertTrue(bad("{\"text\": \"a\", \"vector\": [1]}").contains("either vector or text"));
    assertTrue(bad(new JsonObject().put("text", "x".repeat(1001)).encode()).contains("at most 1000"));
    assertTrue(bad("{\"text\": \"a\", \"mode\": \"fuzzy\"}").contains("mode must be vector or hybrid"));
    assertTrue(bad("{\"vector\": [1], \"mode\": \"hybrid\"}").contains("Hybrid search needs text"));
    assertTrue(bad("{\"text\": \"a\", \"weights\": {\"text\": 1}}").contains("hybrid"));
    assertTrue(bad("{\"text\": \"a\", \"mode\": \"hybrid\", \"weights\": {\"text\": -1}}").contains("weights.text"));
    assertTrue(bad("{\"text\": \"a\", \"mode\": \"hybrid\", \"weights\": {\"vector\": 0, \"text\": 0}}").contains("At least one"));
    assertTrue(bad("{\"text\": \"a\", \"mode\": \"hybrid\", \"weights\": [1]}").contains("weights must be an object"));
    assertTrue(bad("{\"text\": \"a\", \"index\": \"pq\"}").contains("index must be one of"));
    assertTrue(bad("{\"k\": 3}").contains("or send text"));
  }

  @Test
  @DisplayName("rows written without a vector get the vector of their text: bulk, NDJSON, upsert and PATCH")
  void embeddingsOnWrite() {
    String w = "demo-admin"; // documents are shared: admin keys write them (catalog writeRole)
    Http.Response bulk = http.send("POST", "/v1/documents/bulk", w, "application/json",
        "[{\"id\": 900001, \"package\": \"zz-fuzzer\", \"section\": \"test\", \"text\": \"a transparent application fuzzer\"},"
            + " {\"id\": 900002, \"package\": \"zz-given\", \"section\": \"test\", \"text\": \"keeps its own vector\", \"embedding\": "
            + VectorIT.vec(unit(384, 0)) + "}]");
    assertEquals(200, bulk.status(), bulk.body());
    assertEquals(900001L, ok(text("a transparent application fuzzer", 1).encode()).getJsonObject(0).getLong("id"));
    Row given = Http.await(gw.db.query("SELECT embedding::text FROM documents WHERE id = 900002").execute()).iterator().next();
    assertTrue(given.getString(0).startsWith("[1,0,0"), given.getString(0));

    Http.Response ndjson = http.send("POST", "/v1/documents/bulk", w, "application/x-ndjson",
        "{\"id\": 900003, \"package\": \"zz-tea\", \"section\": \"test\", \"text\": \"brewing green tea at the right temperature\"}\n"
            + "{\"id\": 900004, \"package\": \"zz-bike\", \"section\": \"test\", \"text\": \"repairing a bicycle chain\"}\n");
    assertEquals(200, ndjson.status(), ndjson.body());
    assertEquals(900004L, ok(text("repairing a bicycle chain", 1).encode()).getJsonObject(0).getLong("id"));

    Http.Response upsert = http.send("POST", "/v1/documents/bulk?onConflict=update", w, "application/json",
        "[{\"id\": 900003, \"package\": \"zz-tea\", \"section\": \"test\", \"text\": \"tuning a piano by ear\"}]");
    assertEquals(200, upsert.status(), upsert.body());
    assertEquals(900003L, ok(text("tuning a piano by ear", 1).encode()).getJsonObject(0).getLong("id"));

    Http.Response patch = http.send("PATCH", "/v1/documents?id=eq.900004", w, "application/json",
        "{\"text\": \"knitting a woollen scarf\"}");
    assertEquals(200, patch.status(), patch.body());
    JsonArray knit = ok(text("knitting a woollen scarf", 1).encode());
    assertEquals(900004L, knit.getJsonObject(0).getLong("id"));
    assertTrue(knit.getJsonObject(0).getDouble("distance") < 1e-4, knit.encode());

    // neither a vector nor the text to make one from: the vector is required
    Http.Response missing = http.send("POST", "/v1/documents/bulk", w, "application/json",
        "[{\"id\": 900005, \"package\": \"zz-none\", \"section\": \"test\"}]");
    assertEquals(400, missing.status(), missing.body());
    assertTrue(missing.body().contains("\"field\":\"embedding\""), missing.body());
    Http.await(gw.db.query("DELETE FROM documents WHERE id >= 900001").execute());
  }

  @Test
  @DisplayName("hybrid search keeps the exact-term match the vector side misses and the meaning the full-text side misses")
  void hybrid() {
    // The name "ccache" is an exact term: the vector ranking of the whole sentence puts ccache 5th,
    // after f3 (which detects fake flash drives); the hybrid ranking has it first.
    String a = "ccache program that detects counterfeit USB sticks";
    assertFalse(ids(ok(text(a, 3).encode())).contains(2062L), "vector alone misses the term");
    JsonArray fused = ok(text(a, 3).put("mode", "hybrid").encode());
    assertEquals(2062L, fused.getJsonObject(0).getLong("id"), fused.encode());
    assertTrue(fused.getJsonObject(0).getDouble("score") > fused.getJsonObject(1).getDouble("score"), fused.encode());
    assertTrue(fused.getJsonObject(0).containsKey("distance"), fused.encode());

    // Full text ranks rows with common words of the query first and finds neither elpa-fountain-mode
    // (a screenwriting mode: "screenplay" is not in its text) nor cmospwd; the hybrid ranking has both.
    String b = "cmospwd screenplay formatting";
    List<Long> textOnly = fullTextRanking(b, 2);
    assertFalse(textOnly.contains(4862L) || textOnly.contains(2702L), textOnly.toString());
    List<Long> both = ids(ok(text(b, 2).put("mode", "hybrid").encode()));
    assertTrue(both.containsAll(List.of(4862L, 2702L)), both.toString());

    // weights: with the vector's at 0 the order is the full-text ranking's
    assertEquals(fullTextRanking(a, 3), ids(ok(text(a, 3).put("mode", "hybrid")
        .put("weights", new JsonObject().put("vector", 0).put("text", 1)).encode())));
    // and the filter and k apply to the fused rows
    JsonArray filtered = ok(text(a, 2).put("mode", "hybrid").put("filter", "section=eq.utils").encode());
    assertTrue(filtered.size() <= 2);
    Http.Response sections = http.get("/v1/documents?select=id,section&id=in.(" + String.join(",",
        ids(filtered).stream().map(String::valueOf).toList()) + ")", "demo-reader");
    for (Object row : sections.json().getJsonArray("data")) assertEquals("utils", ((JsonObject) row).getString("section"));
  }

  /** The full-text side alone, as the gateway ranks it (the query's words OR'ed, ts_rank_cd), in SQL. */
  static List<Long> fullTextRanking(String text, int k) {
    String words = SearchSql.textQuery(text);
    List<Long> out = new java.util.ArrayList<>();
    for (Row r : Http.await(gw.db.preparedQuery("SELECT id FROM documents WHERE to_tsvector('english', text) @@ to_tsquery('english', $1) "
        + "ORDER BY ts_rank_cd(to_tsvector('english', text), to_tsquery('english', $1)) DESC, id LIMIT $2")
        .execute(io.vertx.sqlclient.Tuple.of(words, k)))) {
      out.add(r.getLong(0));
    }
    return out;
  }

  static Float[] floats(JsonArray a) {
    Float[] out = new Float[a.size()];
    for (int i = 0; i < out.length; i++) out[i] = a.getFloat(i);
    return out;
  }

  static float[] unit(int dims, int at) {
    float[] v = new float[dims];
    v[at] = 1;
    return v;
  }
}
