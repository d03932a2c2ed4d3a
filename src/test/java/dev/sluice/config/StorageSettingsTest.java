package dev.sluice.config;

import dev.sluice.catalog.Partitioning;
import dev.sluice.catalog.ResourceSpec;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Configuration: materialized views, time partitions and the maintenance scheduler")
class StorageSettingsTest {

  static JsonObject withLeads(JsonObject options) {
    JsonObject json = ConfigTest.minimal();
    json.getJsonObject("resources").getJsonObject("leads").mergeIn(options);
    return json;
  }

  static ResourceSpec leads(JsonObject json) {
    return SluiceConfig.from(json).resources().get(0);
  }

  @Test
  @DisplayName("plain tables have neither option; declared ones get their defaults")
  void defaults() {
    ResourceSpec plain = leads(ConfigTest.minimal());
    assertNull(plain.view());
    assertNull(plain.partitioning());
    assertEquals(300, leads(withLeads(new JsonObject().put("materializedView", new JsonObject()))).view().refreshSeconds());
    Partitioning p = leads(withLeads(new JsonObject().put("partitioning", new JsonObject().put("column", "title"))))
        .partitioning();
    assertEquals(new Partitioning("title", Partitioning.Interval.DAY, 3, 0, Partitioning.Retire.DROP), p);
    MaintenanceSettings m = MaintenanceSettings.from(SluiceConfig.from(ConfigTest.minimal()));
    assertEquals(new MaintenanceSettings(60, 2000, 600_000), m);
  }

  @Test
  @DisplayName("a bad option stops the start with its key")
  void invalid() {
    ConfigException e = assertThrows(ConfigException.class, () -> SluiceConfig.from(withLeads(new JsonObject()
        .put("partitioning", new JsonObject().put("column", "nope")))));
    assertTrue(e.getMessage().startsWith("resources.leads.partitioning.column:"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> SluiceConfig.from(withLeads(new JsonObject()
        .put("partitioning", new JsonObject().put("column", "title").put("interval", "hour")))));
    assertTrue(e.getMessage().startsWith("resources.leads.partitioning.interval:"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> SluiceConfig.from(withLeads(new JsonObject()
        .put("materializedView", new JsonObject().put("refreshSeconds", -1)))));
    assertTrue(e.getMessage().startsWith("resources.leads.materializedView.refreshSeconds:"), e.getMessage());
    JsonObject bad = ConfigTest.minimal().put("maintenance", new JsonObject().put("intervalSeconds", 0));
    e = assertThrows(ConfigException.class, () -> MaintenanceSettings.from(SluiceConfig.from(bad)));
    assertTrue(e.getMessage().startsWith("maintenance.intervalSeconds:"), e.getMessage());
  }
}
