package dev.sluice.vector;

import dev.sluice.config.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

@DisplayName("The vector: configuration section: defaults, ranges, and errors that name the key")
class VectorSettingsTest {

  static String error(JsonObject v) {
    return assertThrows(ConfigException.class, () -> VectorSettings.from(v)).getMessage();
  }

  @Test
  @DisplayName("an empty section gives working defaults")
  void defaults() {
    VectorSettings s = VectorSettings.from(new JsonObject());
    assertEquals(new VectorSettings.Tuning(120, 1, 1000), s.efSearch());
    assertEquals("relaxed_order", s.iterativeScan());
    assertEquals("relaxed_order", s.ivfflatIterativeScan());
    assertEquals(20_000, s.maxScanTuples());
    assertEquals(dev.sluice.config.SluiceConfig.PlanCacheMode.FORCE_GENERIC_PLAN, s.planCacheMode());
  }

  @Test
  @DisplayName("knobs and indexes are read as written")
  void values() {
    VectorSettings s = VectorSettings.from(new JsonObject()
        .put("efSearch", new JsonObject().put("default", 120).put("min", 10).put("max", 800))
        .put("iterativeScan", "strict_order")
        .put("indexes", new JsonObject().put("documents", new JsonObject()
            .put("embedding", new JsonObject().put("type", "hnsw").put("m", 24).put("efConstruction", 256)))));
    assertEquals(new VectorSettings.Tuning(120, 10, 800), s.efSearch());
    assertEquals("relaxed_order", s.ivfflatIterativeScan(), "IVFFlat has no strict order");
    assertEquals(new VectorSettings.IndexBuild("hnsw", 24, 256, 0), s.indexes().get("documents").get("embedding"));
  }

  @Test
  @DisplayName("out-of-range and malformed values stop the start with the key and the reason")
  void errors() {
    assertEquals("vector.efSearch.default: must be between 10 and 1000, got 5",
        error(new JsonObject().put("efSearch", new JsonObject().put("default", 5).put("min", 10))));
    assertEquals("vector.efSearch.max: must be between 1 and 1000, got 5000",
        error(new JsonObject().put("efSearch", new JsonObject().put("max", 5000))));
    assertEquals("vector.probes.min: must not exceed vector.probes.max (3)",
        error(new JsonObject().put("probes", new JsonObject().put("min", 5).put("max", 3))));
    assertEquals("vector.iterativeScan: must be off, relaxed_order or strict_order, got 'sideways'",
        error(new JsonObject().put("iterativeScan", "sideways")));
    assertEquals("vector.indexes.documents.embedding.type: must be hnsw or ivfflat, got 'btree'",
        error(new JsonObject().put("indexes", new JsonObject().put("documents", new JsonObject()
            .put("embedding", new JsonObject().put("type", "btree"))))));
    assertEquals("vector.maxScanTuples: must be a whole number, got 'many'",
        error(new JsonObject().put("maxScanTuples", "many")));
    assertEquals("vector.planCacheMode: must be force_generic_plan, auto or force_custom_plan, got 'sometimes'",
        error(new JsonObject().put("planCacheMode", "sometimes")));
    assertEquals(dev.sluice.config.SluiceConfig.PlanCacheMode.AUTO,
        VectorSettings.from(new JsonObject().put("planCacheMode", "auto")).planCacheMode());
  }
}
