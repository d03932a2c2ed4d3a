package dev.sluice.ratelimit;

import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.config.RateLimitSettings;
import dev.sluice.support.Http;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The rate limiter: leases from the real Redis, local buckets when Redis is unreachable, selectors")
class RateLimiterTest {
  static Vertx vertx;
  static final String REDIS = System.getenv().getOrDefault("SLUICE_REDIS_URL", "redis://127.0.0.1:56379");
  static final Principal READER_2 = Principal.forApiKey("demo-reader-2", 2, Role.READER);

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Http.await(vertx.close());
  }

  /** One limit per key of capacity 20 that refills slowly (1 token per 100 s), under a name of its own. */
  static RateLimitSettings settings(String name) {
    return RateLimitSettings.fromJson(new JsonObject().put("enabled", true).put("leaseMax", 20)
        .put("limits", new JsonArray().add(new JsonObject().put("name", name).put("per", "key")
            .put("tenants", new JsonArray().add(2)).put("capacity", 20).put("perSecond", 0.01))));
  }

  static int allowed(RateLimiter limiter, int requests) {
    int ok = 0;
    for (int i = 0; i < requests; i++) {
      Decision d = Http.await(limiter.check(READER_2, "/v1/leads/1"));
      if (d.allowed()) ok++;
      else assertTrue(d.retryAfterSeconds() >= 1);
    }
    return ok;
  }

  @Test
  @DisplayName("with Redis, a 20-token bucket admits 20 requests, asking Redis about once per block of 2, not per request")
  void leases() {
    String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimiter limiter = new RateLimiter(vertx, settings(name), REDIS, 1000, "sluice-test:", registry);
    try {
      assertEquals(20, allowed(limiter, 30));
      double leases = registry.get("sluice.ratelimit.leases").tag("limit", name).tag("source", "redis").counter().count();
      assertTrue(leases <= 11, "leases: " + leases);
      assertEquals(10.0, registry.get("sluice.ratelimit.requests").tag("limit", name).tag("outcome", "limited").counter().count());
      assertEquals(20.0, registry.get("sluice.ratelimit.requests").tag("limit", name).tag("outcome", "allowed").counter().count());
    } finally {
      limiter.close();
    }
  }

  @Test
  @DisplayName("with Redis unreachable, each gateway enforces the limit alone from a local bucket")
  void localFallback() {
    String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RateLimiter limiter = new RateLimiter(vertx, settings(name), "redis://127.0.0.1:1", 200, "sluice-test:", registry);
    try {
      assertEquals(20, allowed(limiter, 30));
      assertTrue(registry.get("sluice.ratelimit.leases").tag("limit", name).tag("source", "local").counter().count() >= 30);
    } finally {
      limiter.close();
    }
  }

  @Test
  @DisplayName("a limit applies only to the requests its selectors match, and reports the headers' figures")
  void selectors() {
    String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
    RateLimiter limiter = new RateLimiter(vertx, settings(name), REDIS, 1000, "sluice-test:", new SimpleMeterRegistry());
    try {
      assertNull(limiter.check(Principal.forApiKey("demo-reader", 1, Role.READER), "/v1/leads/1"), "tenant 1 has no limit");
      Decision d = Http.await(limiter.check(READER_2, "/v1/leads"));
      assertTrue(d.allowed());
      assertEquals(20, d.limit().capacity());
      assertEquals(19, d.remaining());
      assertTrue(d.resetSeconds() >= 1);
    } finally {
      limiter.close();
    }
    RateLimitSettings.Limit search = new RateLimitSettings.Limit("s", RateLimitSettings.Per.TENANT, java.util.Set.of("reader"),
        java.util.Set.of(), java.util.Set.of("documents"), 5, 1);
    assertTrue(RateLimiter.applies(search, READER_2, "/v1/documents/search"));
    assertFalse(RateLimiter.applies(search, READER_2, "/v1/leads"));
    assertFalse(RateLimiter.applies(search, READER_2, "/admin/slo"));
    assertFalse(RateLimiter.applies(search, Principal.forApiKey("w", 2, Role.WRITER), "/v1/documents"));
    assertEquals("batch", RateLimiter.resource("/v1/batch"));
  }
}
