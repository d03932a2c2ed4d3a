package dev.sluice.alerts;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Alert severities and the webhook body")
class SeverityTest {
  static JsonObject transition(String kind, String name) {
    return new JsonObject().put("kind", kind).put("name", name).put("status", "breach")
        .put("detail", new JsonObject().put("value", 0.9)).put("at", "2026-12-02T03:00:00Z");
  }

  @Test
  @DisplayName("graded as the guides grade them; a critical-only receiver gets only critical ones")
  void grades() {
    assertEquals("critical", Severity.of(transition("alert", "p95-query-time")));
    assertEquals("critical", Severity.of(transition("alert", "db-connections")));
    assertEquals("critical", Severity.of(transition("slo", "simple-query")));
    assertEquals("warning", Severity.of(transition("alert", "avg-query-time")));
    assertEquals("warning", Severity.of(transition("alert", "db-dead-tuples")));
    assertTrue(Severity.atLeast("warning", "warning"));
    assertTrue(Severity.atLeast("critical", "critical"));
    assertFalse(Severity.atLeast("warning", "critical"));
  }

  @Test
  @DisplayName("the webhook body names the alert, its status, severity, numbers and time")
  void payload() {
    JsonObject body = AlertWebhooks.payload(transition("alert", "error-rate"));
    assertEquals("error-rate", body.getString("alert"));
    assertEquals("critical", body.getString("severity"));
    assertEquals("breach", body.getString("status"));
    assertEquals(0.9, body.getJsonObject("detail").getDouble("value"));
    assertEquals("sluice", body.getString("source"));
  }
}
