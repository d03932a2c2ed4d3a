package dev.sluice.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Configuration: SLUICE_* overrides and validation that names the bad key")
class ConfigTest {

  static JsonObject minimal() {
    return new JsonObject()
        .put("pg", new JsonObject().put("url", "postgresql://postgres@127.0.0.1:55432/sluice").put("poolSize", 4))
        .put("redis", new JsonObject().put("url", "redis://127.0.0.1:56379"))
        .put("http", new JsonObject().put("port", 8080))
        .put("resources", new JsonObject().put("leads", new JsonObject()
            .put("table", "leads").put("primaryKey", "id").put("tenantColumn", "org_id")
            .put("fields", new JsonArray().add("id").add("org_id").add("title"))
            .put("sortable", new JsonArray().add("id"))
            .put("cacheTtlSeconds", 30)));
  }

  @Test
  @DisplayName("event loops: one per core by default, or as set; '0 instances' of HTTP, Postgres and search verticles is that count")
  void eventLoops() {
    SluiceConfig d = SluiceConfig.from(minimal());
    int cores = Math.max(1, io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE / 2);
    assertEquals(cores, d.eventLoops());
    assertEquals(cores, d.http().verticles());
    assertEquals(cores, d.pg().instances());
    // SLUICE_EVENT_LOOPS overrides the key conf/sluice.yaml has (EnvOverrides sets the keys the file holds)
    SluiceConfig three = SluiceConfig.from(EnvOverrides.apply(minimal().put("eventLoops", 0), Map.of("SLUICE_EVENT_LOOPS", "3")));
    assertEquals(3, three.eventLoops());
    assertEquals(3, three.http().verticles());
    assertEquals(3, three.pg().instances());
    assertEquals(3, dev.sluice.vector.VectorSettings.from(three).verticles(three.eventLoops()));
    JsonObject fixed = minimal();
    fixed.getJsonObject("http").put("instances", 1);
    assertEquals(1, SluiceConfig.from(fixed).http().verticles(), "a configured count stands");
  }

  @Test
  @DisplayName("an environment variable overrides the nested key it names, keeping its type")
  void envOverrides() {
    JsonObject json = EnvOverrides.apply(minimal(), Map.of(
        "SLUICE_PG_POOL_SIZE", "12",
        "SLUICE_HTTP_PORT", "9090",
        "SLUICE_PG_URL", "postgresql://u@db:5432/x",
        "SLUICE_RESOURCES_LEADS_CACHE_TTL_SECONDS", "5"));
    SluiceConfig c = SluiceConfig.from(json);
    assertEquals(12, c.pg().poolSize());
    assertEquals(9090, c.http().port());
    assertEquals("postgresql://u@db:5432/x", c.pg().url());
    assertEquals(5, c.resources().get(0).cacheTtlSeconds());
  }

  @Test
  @DisplayName("a list of plain values takes a comma-separated override: the replica URLs")
  void listOverride() {
    JsonObject json = minimal();
    json.getJsonObject("pg").put("replicas", new JsonObject().put("urls", new JsonArray()));
    EnvOverrides.apply(json, Map.of("SLUICE_PG_REPLICAS_URLS",
        "postgresql://postgres@127.0.0.1:55433/sluice, postgresql://postgres@127.0.0.1:55434/sluice"));
    SluiceConfig c = SluiceConfig.from(json);
    assertEquals(java.util.List.of("postgresql://postgres@127.0.0.1:55433/sluice",
        "postgresql://postgres@127.0.0.1:55434/sluice"), c.pg().replicas().urls());
    assertEquals(1000, c.pg().replicas().maxLagMs());
    json.getJsonObject("pg").getJsonObject("replicas").put("urls", new JsonArray().add("mysql://x/y"));
    assertTrue(message(json).startsWith("pg.replicas.urls[0]: "), message(json));
  }

  @Test
  @DisplayName("camelCase keys map to UPPER_SNAKE names")
  void envNames() {
    assertEquals("SLUICE_PG_PIPELINING_LIMIT", EnvOverrides.envName("SLUICE_PG", "pipeliningLimit"));
  }

  @Test
  @DisplayName("a bad override fails the start with the key and the reason")
  void badOverride() {
    JsonObject json = EnvOverrides.apply(minimal(), Map.of("SLUICE_PG_POOL_SIZE", "lots"));
    ConfigException e = assertThrows(ConfigException.class, () -> SluiceConfig.from(json));
    assertEquals("pg.poolSize: must be a whole number, got 'lots'", e.getMessage());
  }

  @Test
  @DisplayName("out-of-range, missing and malformed values are each named")
  void validation() {
    assertMessage(minimal().put("pg", new JsonObject().put("url", "postgresql://h/db").put("poolSize", 0)),
        "pg.poolSize: must be between 1 and 500, got 0");
    JsonObject noUrl = minimal();
    noUrl.getJsonObject("pg").remove("url");
    assertMessage(noUrl, "pg.url: is required");
    assertMessage(minimal().put("redis", new JsonObject().put("url", "http://x")), "redis.url: must be a URL like redis://host:port/...");
    assertMessage(minimal().put("auth", new JsonObject().put("keys", new JsonArray()
        .add(new JsonObject().put("key", "k").put("role", "boss").put("tenant", 1)))),
        "auth.keys[0].role: must be reader, writer or admin, got 'boss'");
  }

  @Test
  @DisplayName("catalog declarations are checked: fields, sortable keys, relations and identifiers")
  void catalogValidation() {
    JsonObject c = minimal();
    c.getJsonObject("resources").getJsonObject("leads").put("sortable", new JsonArray().add("nope"));
    assertMessage(c, "resources.leads.sortable: 'nope' is not an exposed field");

    c = minimal();
    c.getJsonObject("resources").getJsonObject("leads").put("table", "leads; drop table x");
    assertTrue(message(c).startsWith("resources.leads.table: 'leads; drop table x' is not a plain"));

    c = minimal();
    c.getJsonObject("resources").getJsonObject("leads").put("relations", new JsonObject()
        .put("owner", new JsonObject().put("resource", "users").put("kind", "one").put("column", "org_id")));
    assertMessage(c, "resources.leads.relations.owner.resource: 'users' is not a declared resource");

    c = minimal();
    c.getJsonObject("resources").getJsonObject("leads").put("fields", new JsonArray().add("title"));
    assertMessage(c, "resources.leads.fields: must include the primary key 'id'");
  }

  @Test
  @DisplayName("the shipped conf/sluice.yaml is valid")
  void shippedConfigIsValid() {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      SluiceConfig c = dev.sluice.support.Http.await(ConfigLoader.load(vertx, Map.of(), null));
      assertEquals(6, c.resources().size());
      assertTrue(c.apiKeys().lookup("demo-reader").isPresent());
    } finally {
      vertx.close();
    }
  }

  @Test
  @DisplayName("a vector column's model must be known and make vectors of the column's dimensions; its source a field")
  void embeddingModelIsChecked() {
    JsonObject json = minimal();
    JsonObject leads = json.getJsonObject("resources").getJsonObject("leads");
    leads.getJsonArray("fields").add("embedding");
    JsonObject col = new JsonObject().put("dimensions", 8).put("metric", "cosine").put("model", "all-minilm-l6-v2");
    leads.put("vectors", new JsonObject().put("embedding", col));
    assertMessage(json, "resources.leads.vectors.embedding.model: all-minilm-l6-v2 makes vectors of 384 dimensions, "
        + "but the column is declared with 8");
    col.put("model", "word2vec");
    assertMessage(json, "resources.leads.vectors.embedding.model: unknown model 'word2vec'; known: all-minilm-l6-v2");
    col.put("model", "all-minilm-l6-v2").put("dimensions", 384).put("source", "body");
    assertMessage(json, "resources.leads.vectors.embedding.source: 'body' is not an exposed field");
    col.put("source", "title").put("index", "pq");
    assertMessage(json, "resources.leads.vectors.embedding.index: must be vector, halfvec or binary, got 'pq'");
    col.put("index", "binary");
    assertEquals("title", SluiceConfig.from(json).resources().get(0).vectors().get("embedding").source());
  }

  private static void assertMessage(JsonObject json, String expected) {
    assertEquals(expected, message(json));
  }

  private static String message(JsonObject json) {
    return assertThrows(ConfigException.class, () -> SluiceConfig.from(json)).getMessage();
  }
}
