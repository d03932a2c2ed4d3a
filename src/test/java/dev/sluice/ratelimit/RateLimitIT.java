package dev.sluice.ratelimit;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Rate limits hold across two gateways sharing one Redis, with 429, Retry-After and RateLimit-* headers")
class RateLimitIT {
  static TestGateway first;
  static TestGateway second;
  static Http one;
  static Http two;
  /** Names of their own, so the Redis buckets of other runs and classes never meet these. */
  static final String KEY_LIMIT = "it-key-" + UUID.randomUUID().toString().substring(0, 8);
  static final String SEARCH_LIMIT = "it-search-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void start() {
    // Tenant 2's key: 20 requests at once, refilling at 1 token per 100 s (so none comes back during the test);
    // its tenant may search documents 4 times.
    JsonObject limits = new JsonObject().put("rateLimits", new JsonObject().put("enabled", true).put("leaseMax", 20)
        .put("limits", new JsonArray()
            .add(new JsonObject().put("name", KEY_LIMIT).put("per", "key").put("tenants", new JsonArray().add(2))
                .put("capacity", 20).put("perSecond", 0.01))
            .add(new JsonObject().put("name", SEARCH_LIMIT).put("per", "tenant").put("resources", new JsonArray().add("documents"))
                .put("tenants", new JsonArray().add(1)).put("capacity", 4).put("perSecond", 0.01))));
    first = Http.await(TestGateway.start("ratelimit", limits, List.of()));
    second = Http.await(TestGateway.attach(first, "ratelimit2", limits));
    one = new Http(first.port);
    two = new Http(second.port);
  }

  @AfterAll
  static void stop() {
    if (second != null) Http.await(second.close());
    if (first != null) Http.await(first.close());
  }

  @Test
  @DisplayName("40 requests spread over two gateways: at most the bucket's 20 pass, the rest are 429 with the JSON error")
  void holdsAcrossGateways() {
    int ok = 0;
    int limited = 0;
    for (int i = 0; i < 40; i++) {
      Http.Response r = (i % 2 == 0 ? one : two).get("/v1/leads?limit=1", "demo-reader-2");
      assertEquals("20", r.header("RateLimit-Limit"), "every limited response carries the headers, 2xx included");
      assertNotNull(r.header("RateLimit-Remaining"));
      assertNotNull(r.header("RateLimit-Reset"));
      if (r.status() == 200) {
        ok++;
      } else {
        assertEquals(429, r.status(), r.body());
        limited++;
        assertEquals("rate_limited", r.json().getJsonObject("error").getString("code"));
        assertEquals(KEY_LIMIT, r.json().getJsonObject("error").getJsonObject("details").getString("limit"));
        assertTrue(Integer.parseInt(r.header("Retry-After")) >= 1);
        assertEquals("0", r.header("RateLimit-Remaining"));
      }
    }
    // Leases take their tokens out of the shared bucket when granted, so the two nodes together admit at
    // most 20 (plus a token refilled meanwhile); each may hold back at most one unspent block of 2.
    assertTrue(ok <= 21 && ok >= 16, "admitted " + ok);
    assertEquals(40 - ok, limited);
  }

  @Test
  @DisplayName("a per-tenant limit on one resource leaves the tenant's other resources and other tenants alone")
  void perResource() {
    String vector = "[" + String.join(",", java.util.Collections.nCopies(384, "0.01")) + "]";
    int ok = 0;
    for (int i = 0; i < 8; i++) {
      Http.Response r = (i % 2 == 0 ? one : two).send("POST", "/v1/documents/search", "demo-reader", "application/json",
          "{\"vector\": " + vector + ", \"k\": 1, \"select\": \"id\"}");
      if (r.status() == 200) ok++;
      else assertEquals(429, r.status(), r.body());
    }
    assertTrue(ok >= 2 && ok <= 4, "admitted " + ok);
    Http.Response lead = one.get("/v1/leads/1", "demo-reader");
    assertEquals(200, lead.status());
    assertNull(lead.header("RateLimit-Limit"), "no limit applies to tenant 1's leads");
    assertNull(one.get("/health/ready", null).header("RateLimit-Limit"));
  }

  @Test
  @DisplayName("each limit has its metric on /metrics")
  void metric() {
    one.get("/v1/leads?limit=1", "demo-reader-2");
    String metrics = one.get("/metrics", null).body();
    assertTrue(metrics.contains("sluice_ratelimit_requests_total{limit=\"" + KEY_LIMIT + "\""), "requests metric");
    assertTrue(metrics.contains("sluice_ratelimit_leases_total{limit=\"" + KEY_LIMIT + "\",source=\"redis\"}"), "leases metric");
  }
}
