package dev.sluice.http;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The gateway, end to end on real PostgreSQL and Redis")
class GatewayIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("gateway", null, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  @Test
  @DisplayName("readiness reports PostgreSQL and Redis up")
  void ready() {
    Http.Response r = http.get("/health/ready", null);
    assertEquals(200, r.status());
    assertEquals("UP", r.json().getString("status"));
    assertEquals("UP", r.json().getJsonObject("checks").getJsonObject("redis").getString("status"));
    assertFalse(r.json().getBoolean("degraded"));
    assertEquals(200, http.get("/health/live", null).status());
  }

  @Test
  @DisplayName("a reader gets lead 1 as JSON through the event bus and the Postgres verticle")
  void pointRead() {
    Http.Response r = http.get("/v1/leads/1", "demo-reader");
    assertEquals(200, r.status(), r.body());
    assertEquals("application/json", r.header("content-type"));
    JsonObject lead = r.json();
    assertEquals(1L, lead.getLong("id"));
    assertEquals(1L, lead.getLong("org_id"));
    assertNotNull(lead.getString("title"));
    assertNotNull(lead.getString("created_at"));
  }

  @Test
  @DisplayName("no key or an unknown key is 401 in the JSON error shape")
  void unauthorized() {
    for (String key : new String[] {null, "not-a-key"}) {
      Http.Response r = http.get("/v1/leads/1", key);
      assertEquals(401, r.status());
      assertEquals("unauthorized", r.json().getJsonObject("error").getString("code"));
    }
  }

  @Test
  @DisplayName("an error response carries the request id: the client's X-Request-Id when sane, else one made up")
  void errorsCarryTheRequestId() {
    Http.Response given = http.send(http.builder("/v1/leads/1", "not-a-key").header("X-Request-Id", "trace-123").GET().build());
    assertEquals(401, given.status());
    assertEquals("trace-123", given.header("X-Request-Id"));
    Http.Response made = http.send(http.builder("/v1/leads/1", "not-a-key")
        .header("X-Request-Id", "x".repeat(200)).GET().build());
    assertTrue(made.header("X-Request-Id").matches("[0-9a-f]{16}"), made.header("X-Request-Id"));
    assertEquals(null, http.get("/v1/leads/1", "demo-reader").header("X-Request-Id"), "successes pay nothing for it");
  }

  @Test
  @DisplayName("a reader may not write (403) and a non-admin may not reach /admin (403)")
  void forbidden() {
    Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-reader", "application/json", "[]");
    assertEquals(403, r.status());
    assertEquals("forbidden", r.json().getJsonObject("error").getString("code"));
    assertEquals(403, http.get("/admin/db", "demo-writer").status());
  }

  @Test
  @DisplayName("an undeclared resource or path is a 404 JSON error")
  void notFound() {
    Http.Response r = http.get("/v1/nope", "demo-reader");
    assertEquals(404, r.status());
    assertEquals("not_found", r.json().getJsonObject("error").getString("code"));
    assertEquals(404, http.get("/v1/nope/1", "demo-reader").status());
    assertEquals("not_found", http.get("/nothing/here", null).json().getJsonObject("error").getString("code"));
  }

  @Test
  @DisplayName("another tenant's row is a 404, not a leak")
  void tenantScoped() {
    assertEquals(404, http.get("/v1/leads/1", "demo-reader-2").status());
    assertEquals(200, http.get("/v1/leads/2", "demo-reader-2").status());
    assertEquals(404, http.get("/v1/leads/2", "demo-reader").status());
  }

  @Test
  @DisplayName("a body over the limit is 413 too_large")
  void bodyTooLarge() {
    String big = "[" + "1,".repeat((int) (gw.config.http().bodyLimitBytes() / 2)) + "1]";
    Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/json", big);
    assertEquals(413, r.status());
    assertEquals("too_large", r.json().getJsonObject("error").getString("code"));
  }

  @Test
  @DisplayName("/metrics is Prometheus text with JVM, HTTP server, pool and event-bus metrics")
  void metrics() {
    http.get("/v1/leads/1", "demo-reader");
    Http.Response r = http.get("/metrics", null);
    assertEquals(200, r.status());
    for (String name : List.of("jvm_memory_used_bytes", "vertx_http_server_requests_total", "vertx_pool_in_use",
        "vertx_eventbus_handlers")) {
      assertTrue(r.body().contains(name), "missing " + name);
    }
  }

  @Test
  @DisplayName("the same address answers any event-bus consumer with JSON, and fails with the HTTP status")
  void eventBus() {
    JsonObject reply = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.GET,
        new JsonObject().put("resource", "leads").put("tenant", 1).put("id", 1).put("select", "id,title"))).body();
    assertEquals(1L, reply.getLong("id"));
    assertEquals(2, reply.size());

    Throwable t = Http.awaitFailure(gw.vertx.eventBus().request(Addresses.GET,
        new JsonObject().put("resource", "leads").put("apiKey", "demo-reader-2").put("id", 1)));
    ReplyException re = (ReplyException) t;
    assertEquals(404, re.failureCode());
    assertEquals("not_found", new JsonObject(re.getMessage()).getJsonObject("error").getString("code"));

    Throwable noKey = Http.awaitFailure(gw.vertx.eventBus().request(Addresses.GET,
        new JsonObject().put("resource", "leads").put("id", 1)));
    assertEquals(401, ((ReplyException) noKey).failureCode());
  }
}
