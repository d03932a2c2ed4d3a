package dev.sluice.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Configuration of database operations, alert delivery and PgBouncer mode")
class OpsSettingsTest {
  static String problem(JsonObject json) {
    return assertThrows(ConfigException.class, () -> OpsSettings.from(SluiceConfig.from(json))).getMessage();
  }

  @Test
  @DisplayName("defaults are the guides' thresholds; webhooks come from SLUICE_ALERTS_WEBHOOKS")
  void defaults() {
    JsonObject json = ConfigTest.minimal().put("alerts", new JsonObject().put("webhooks", new JsonArray()));
    EnvOverrides.apply(json, Map.of("SLUICE_ALERTS_WEBHOOKS", "http://a.example/hook, https://b.example/x"));
    OpsSettings s = OpsSettings.from(SluiceConfig.from(json));
    assertEquals(0.8, s.database().connectionsRatio());
    assertEquals(0.99, s.database().indexHitRatio());
    assertEquals(0.1, s.database().deadTupleRatio());
    assertEquals(10_000, s.database().analyzeAfterRows());
    assertEquals(List.of("http://a.example/hook", "https://b.example/x"), s.delivery().webhooks());
    assertEquals("warning", s.delivery().minSeverity());
  }

  @Test
  @DisplayName("a bad value names its key")
  void validation() {
    assertTrue(problem(ConfigTest.minimal().put("alerts", new JsonObject().put("minSeverity", "loud")))
        .startsWith("alerts.minSeverity"));
    assertTrue(problem(ConfigTest.minimal().put("alerts", new JsonObject().put("webhooks", new JsonArray().add("ftp://x"))))
        .startsWith("alerts.webhooks"));
    assertTrue(problem(ConfigTest.minimal().put("database", new JsonObject()
        .put("alerts", new JsonObject().put("indexHitRatio", 1.5)))).startsWith("database.alerts.indexHitRatio"));
  }

  @Test
  @DisplayName("pg.pgbouncer needs pg.directUrl: migrations and the demo load need a session of their own")
  void pgbouncerNeedsDirectUrl() {
    JsonObject json = ConfigTest.minimal();
    json.getJsonObject("pg").put("pgbouncer", true);
    String message = assertThrows(ConfigException.class, () -> SluiceConfig.from(json)).getMessage();
    assertTrue(message.startsWith("pg.directUrl"), message);
    json.getJsonObject("pg").put("directUrl", "postgresql://postgres@127.0.0.1:55432/sluice");
    SluiceConfig c = SluiceConfig.from(json);
    assertTrue(c.pg().pgbouncer());
    assertFalse(SluiceConfig.from(ConfigTest.minimal()).pg().pgbouncer());
  }
}
