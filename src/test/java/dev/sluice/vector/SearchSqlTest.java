package dev.sluice.vector;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Metric;
import dev.sluice.catalog.ResourceSpec.IndexKind;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.error.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Search SQL and request validation, without a database")
class SearchSqlTest {
  static final Resource DOCS = resource("documents", null, new VectorSpec("embedding", 3, Metric.COSINE));
  static final Resource NOTES = resource("notes", "org_id", new VectorSpec("embedding", 3, Metric.L2));
  static final Catalog CATALOG = new Catalog(Map.of("documents", DOCS, "notes", NOTES));
  static final VectorIndexes.Index HNSW = new VectorIndexes.Index("documents_embedding_hnsw_idx", "hnsw",
      "vector_cosine_ops", Map.of("m", 32, "ef_construction", 128), false);
  static final VectorIndexes.Columns COLUMNS = new VectorIndexes.Columns(Map.of(
      "documents", Map.of("embedding", new VectorIndexes.Column(DOCS, DOCS.vectors().get("embedding"), HNSW)),
      "notes", Map.of("embedding", new VectorIndexes.Column(NOTES, NOTES.vectors().get("embedding"), null))));
  static final VectorSettings SETTINGS = VectorSettings.from(new JsonObject());

  static Resource resource(String name, String tenant, VectorSpec vector) {
    Map<String, ColumnType> fields = new LinkedHashMap<>();
    fields.put("id", ColumnType.INT8);
    if (tenant != null) fields.put(tenant, ColumnType.INT8);
    fields.put("section", ColumnType.TEXT);
    fields.put("embedding", ColumnType.VECTOR);
    List<String> dflt = tenant == null ? List.of("id", "section") : List.of("id", tenant, "section");
    return new Resource(name, name, "id", ColumnType.INT8, tenant, fields, dflt, List.of("id"), Map.of(), List.of(),
        Map.of("embedding", vector), 0, 1000);
  }

  static SearchRequest search(String resource, String body) {
    return SearchRequest.search(CATALOG, COLUMNS, SETTINGS,
        new DataRequest(resource, 7, null, new JsonObject(), Buffer.buffer(body), true));
  }

  static String message(String body) {
    return assertThrows(ApiError.class, () -> search("documents", body)).getMessage();
  }

  @Test
  @DisplayName("search: the index's ORDER BY ... LIMIT inside, tenant and filters as parameters, re-sorted outside")
  void searchSql() {
    SearchSql.Statement s = SearchSql.search(search("notes",
        "{\"vector\":[1,0,0],\"k\":5,\"select\":\"id\",\"filter\":\"section=eq.web\"}"));
    assertEquals("SELECT json_build_object('id', t.id, 'distance', t.\"sluice.distance\")::text FROM ("
        + "SELECT t.*, t.embedding <-> $1::float4[]::vector AS \"sluice.distance\" FROM notes t WHERE TRUE "
        + "AND t.org_id = $2 AND t.section = $3 ORDER BY \"sluice.distance\" LIMIT $4) t "
        + "ORDER BY t.\"sluice.distance\" + 0", s.sql());
    assertEquals(4, s.params().size());
    assertEquals(7L, s.params().tuple().getValue(1));
    assertEquals("web", s.params().tuple().getValue(2));
    assertEquals(5, s.params().tuple().getValue(3));
  }

  @Test
  @DisplayName("similar: the stored row's vector as a scalar subquery, the row itself left out")
  void similarSql() {
    SearchRequest q = SearchRequest.similar(CATALOG, COLUMNS, SETTINGS,
        new DataRequest("notes", 7, "42", new JsonObject().put("k", "3").put("section", "neq.x"), null, true));
    SearchSql.Statement s = SearchSql.similar(q);
    assertEquals("SELECT json_build_object('id', t.id, 'org_id', t.org_id, 'section', t.section, 'distance', "
        + "t.\"sluice.distance\")::text FROM (SELECT t.*, t.embedding <-> (SELECT s.embedding FROM notes s WHERE "
        + "s.id = $1 AND s.org_id = $2) AS \"sluice.distance\" FROM notes t WHERE TRUE AND t.org_id = $3 "
        + "AND t.id <> $1 AND t.section <> $4 ORDER BY \"sluice.distance\" LIMIT $5) t "
        + "WHERE t.\"sluice.distance\" IS NOT NULL ORDER BY t.\"sluice.distance\" + 0", s.sql());
    assertEquals(42L, s.params().tuple().getValue(0));
  }

  @Test
  @DisplayName("halfvec and binary: the index's expression inside, the full vectors rank what it found")
  void quantisedSql() {
    VectorIndexes.Index half = new VectorIndexes.Index("h", "hnsw", "halfvec_cosine_ops", Map.of(), false);
    VectorIndexes.Index bit = new VectorIndexes.Index("b", "hnsw", "bit_hamming_ops", Map.of(), false);
    VectorIndexes.Column c = new VectorIndexes.Column(DOCS, DOCS.vectors().get("embedding"), HNSW,
        Map.of(IndexKind.VECTOR, HNSW, IndexKind.HALFVEC, half, IndexKind.BINARY, bit));
    VectorIndexes.Columns columns = new VectorIndexes.Columns(Map.of("documents", Map.of("embedding", c)));
    SearchRequest h = SearchRequest.search(CATALOG, columns, SETTINGS, new DataRequest("documents", 7, null, new JsonObject(),
        Buffer.buffer("{\"vector\":[1,0,0],\"k\":5,\"select\":\"id\",\"index\":\"halfvec\"}"), true));
    assertEquals("SELECT json_build_object('id', t.id, 'distance', t.\"sluice.distance\")::text FROM ("
        + "SELECT t.*, t.embedding <=> $1::float4[]::vector AS \"sluice.distance\" FROM ("
        + "SELECT t.*, t.embedding::halfvec(3) <=> $1::float4[]::vector::halfvec(3) AS \"sluice.approx\" FROM documents t "
        + "WHERE TRUE ORDER BY \"sluice.approx\" LIMIT $2) t ORDER BY \"sluice.distance\" LIMIT $3) t "
        + "ORDER BY t.\"sluice.distance\" + 0", SearchSql.search(h).sql());
    SearchRequest b = SearchRequest.search(CATALOG, columns, SETTINGS, new DataRequest("documents", 7, null, new JsonObject(),
        Buffer.buffer("{\"vector\":[1,0,0],\"k\":5,\"select\":\"id\",\"index\":\"binary\"}"), true));
    SearchSql.Statement sb = SearchSql.search(b);
    assertTrue(sb.sql().contains("binary_quantize(t.embedding)::bit(3) <~> binary_quantize($1::float4[]::vector) AS \"sluice.approx\""),
        sb.sql());
    assertEquals(20, sb.params().tuple().getValue(1), "k x rerank candidates");
    assertEquals(5, sb.params().tuple().getValue(2));
    // exact ignores the index kind: the full vectors, whole table
    SearchRequest exact = SearchRequest.search(CATALOG, columns, SETTINGS, new DataRequest("documents", 7, null, new JsonObject(),
        Buffer.buffer("{\"vector\":[1,0,0],\"index\":\"binary\",\"exact\":true}"), true));
    assertFalse(SearchSql.search(exact).sql().contains("binary_quantize"));
  }

  @Test
  @DisplayName("hybrid: both rankings, the fusion and the rows' JSON in one statement, every value a parameter")
  void hybridSql() {
    Resource docs = new Resource("documents", "documents", "id", ColumnType.INT8, "org_id",
        new LinkedHashMap<>(Map.of("id", ColumnType.INT8, "org_id", ColumnType.INT8, "text", ColumnType.TEXT,
            "embedding", ColumnType.VECTOR)), List.of("id"), List.of("id"), Map.of(), List.of("text"),
        Map.of("embedding", new VectorSpec("embedding", 3, Metric.COSINE, "all-minilm-l6-v2", "text", IndexKind.VECTOR, 4)), 0, 1000);
    VectorIndexes.Columns columns = new VectorIndexes.Columns(Map.of("documents",
        Map.of("embedding", new VectorIndexes.Column(docs, docs.vectors().get("embedding"), HNSW))));
    SearchRequest q = SearchRequest.search(new Catalog(Map.of("documents", docs)), columns, SETTINGS,
        new DataRequest("documents", 7, null, new JsonObject(), Buffer.buffer(
            "{\"text\":\"it's a fuzzer!\",\"mode\":\"hybrid\",\"k\":3,\"weights\":{\"text\":0.5},\"rrfK\":10}"), true));
    assertEquals("text", q.hybrid().textColumn());
    SearchSql.Statement s = SearchSql.hybrid(q.withVector(new float[] {1, 0, 0}), SearchSql.textQuery(q.text()));
    assertEquals("SELECT json_build_object('id', t.id, 'distance', t.\"sluice.distance\", 'score', t.\"sluice.score\")::text "
        + "FROM (SELECT t.*, t.embedding <=> $1::float4[]::vector AS \"sluice.distance\", f.\"sluice.score\" FROM ("
        + "SELECT coalesce(v.\"sluice.key\", x.\"sluice.key\") AS \"sluice.key\", coalesce($6::float8 / ($5::float8 + v.\"sluice.rank\"), 0) "
        + "+ coalesce($7::float8 / ($5::float8 + x.\"sluice.rank\"), 0) AS \"sluice.score\" FROM (SELECT \"sluice.key\", "
        + "row_number() OVER (ORDER BY \"sluice.approx\") AS \"sluice.rank\" FROM (SELECT t.id AS \"sluice.key\", "
        + "t.embedding <=> $1::float4[]::vector AS \"sluice.approx\" FROM documents t WHERE TRUE AND t.org_id = $2 "
        + "ORDER BY \"sluice.approx\" LIMIT $3) v0) v FULL JOIN (SELECT t.id AS \"sluice.key\", row_number() OVER (ORDER BY "
        + "ts_rank_cd(to_tsvector('english', t.text), to_tsquery('english', $4)) DESC, t.id) AS \"sluice.rank\" FROM documents t "
        + "WHERE to_tsvector('english', t.text) @@ to_tsquery('english', $4) AND t.org_id = $2 ORDER BY \"sluice.rank\" LIMIT $3) x "
        + "ON x.\"sluice.key\" = v.\"sluice.key\" ORDER BY \"sluice.score\" DESC, \"sluice.key\" LIMIT $8) f JOIN documents t "
        + "ON t.id = f.\"sluice.key\") t ORDER BY t.\"sluice.score\" DESC, t.id", s.sql());
    assertEquals("it | s | a | fuzzer", s.params().tuple().getValue(3));
    assertEquals(100, s.params().tuple().getValue(2));
    assertEquals(1.0, s.params().tuple().getValue(5));
    assertEquals(0.5, s.params().tuple().getValue(6));
  }

  @Test
  @DisplayName("the full-text side sees only the text's words, OR'ed: no client text reaches to_tsquery's syntax")
  void textQuery() {
    assertEquals("fast | C | compiler | cache", SearchSql.textQuery("fast (C) compiler-cache!"));
    assertEquals("a | b", SearchSql.textQuery("a & b | !':*"));
    assertEquals("", SearchSql.textQuery("&|!()"));
    assertEquals("zürich | 東京", SearchSql.textQuery("zürich, 東京"));
  }

  @Test
  @DisplayName("default knobs need no transaction; a knob of its own, or exact, does")
  void knobs() {
    VectorSearch vs = new VectorSearch(CATALOG, SETTINGS, COLUMNS, null, null, List.of());
    assertTrue(vs.knobs(search("documents", "{\"vector\":[1,0,0]}")).isEmpty());
    assertTrue(vs.knobs(search("documents", "{\"vector\":[1,0,0],\"efSearch\":" + SETTINGS.efSearch().dflt() + "}")).isEmpty());
    assertEquals(List.of(new VectorSearch.Setting("hnsw.ef_search", "250")),
        vs.knobs(search("documents", "{\"vector\":[1,0,0],\"efSearch\":250}")));
    assertEquals(List.of(new VectorSearch.Setting("enable_indexscan", "off")),
        vs.knobs(search("documents", "{\"vector\":[1,0,0],\"exact\":true}")));
    // without iterative scans, ef_search is raised to k so that k rows can come back
    VectorSettings off = VectorSettings.from(new JsonObject().put("iterativeScan", "off"));
    VectorSearch noIter = new VectorSearch(CATALOG, off, COLUMNS, null, null, List.of());
    assertEquals(List.of(new VectorSearch.Setting("hnsw.ef_search", "500")),
        noIter.knobs(search("documents", "{\"vector\":[1,0,0],\"k\":500}")));
  }

  @Test
  @DisplayName("each bad input is a 400 naming its problem")
  void validation() {
    assertTrue(message("{\"vector\":[1,0]}").contains("vector has 2 numbers; documents.embedding needs 3"));
    assertTrue(message("{\"vector\":[]}").contains("empty"));
    assertTrue(message("{\"vector\":[1,0,NaN]}").contains("NaN"));
    assertTrue(message("{\"vector\":[1,0,\"-Infinity\"]}").contains("vector[2] is not a finite number"));
    assertTrue(message("{\"vector\":[1,0,1e39]}").contains("vector[2] is not a finite number"));
    assertTrue(message("{\"vector\":[1,null,0]}").contains("vector[1] is not a number"));
    assertTrue(message("{\"vector\":[1,0,0],\"k\":0}").contains("between 1 and 1000"));
    assertTrue(message("{\"vector\":[1,0,0],\"k\":\"ten\"}").contains("whole number"));
    assertTrue(message("{\"vector\":[1,0,0],\"efSearch\":1001}").contains("efSearch must be between"));
    assertTrue(message("{\"vector\":[1,0,0],\"probes\":3}").contains("use efSearch"));
    assertTrue(message("{\"vector\":[1,0,0],\"exact\":\"yes\"}").contains("true or false"));
    assertTrue(message("{\"vector\":[1,0,0],\"filter\":5}").contains("filter must be a string"));
    assertTrue(message("{\"vector\":[1,0,0],\"column\":\"other\"}").contains("Unknown vector column"));
    assertTrue(message("not json").contains("not valid JSON"));
    assertTrue(message("{\"vector\":[1,0,0],\"select\":[\"id\"]}").contains("select must be a string"));
    assertTrue(message("{\"vector\":[[1],0,0]}").contains("vector[0] is not a number"));
    assertTrue(message("{\"vector\":{\"a\":1}}").contains("JSON array"));
    assertTrue(message("{\"vector\":[1,0,0]} trailing").contains("not valid JSON"));
    ApiError e = assertThrows(ApiError.class, () -> search("documents", "{\"vector\":[1,0]}"));
    assertEquals(400, e.status());
    assertEquals("wrong_length", e.details().getString("reason"));
    assertFalse(e.getMessage().toLowerCase().contains("select"));
    // notes has no ANN index: neither knob applies
    assertTrue(assertThrows(ApiError.class, () -> search("notes", "{\"vector\":[1,0,0],\"efSearch\":100}"))
        .getMessage().contains("no ANN index"));
  }
}
