package dev.sluice.cache;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.Poll;
import dev.sluice.support.TcpProxy;
import dev.sluice.support.TestGateway;
import io.vertx.core.Future;
import dev.sluice.support.TestServices;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Cache: hits and misses, exact invalidation across gateways, single flight, Redis faults")
class CacheIT {
  static TestGateway gw;
  static Http http;
  static Vertx proxyVertx;
  static TcpProxy redisProxy;

  @BeforeAll
  static void start() {
    // The gateway reaches Redis through a proxy the fault test can cut, without stopping the shared Redis.
    proxyVertx = Vertx.vertx();
    String redisUrl = TestServices.get().redisUrl();
    var endpoint = new RedisOptions().setConnectionString(redisUrl).getEndpoint();
    java.net.URI uri = java.net.URI.create(endpoint);
    redisProxy = new TcpProxy(proxyVertx, uri.getHost(), uri.getPort());
    int proxyPort = Http.await(redisProxy.start());
    JsonObject overrides = new JsonObject()
        .put("redis", new JsonObject().put("url", "redis://127.0.0.1:" + proxyPort).put("timeoutMs", 1000))
        .put("pg", new JsonObject().put("verticleInstances", 2));
    gw = Http.await(TestGateway.start("cache", overrides, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
    if (redisProxy != null) Http.await(redisProxy.close());
    if (proxyVertx != null) Http.await(proxyVertx.close());
  }

  static Http.Response read(Http h, String path, String key) {
    Http.Response r = h.get(path, key);
    assertEquals(200, r.status(), path + " -> " + r.body());
    return r;
  }

  /** What the write path does after a commit: bump the versions, and only then reply. */
  static void invalidate(TestGateway g, String resource, long tenant, List<Long> ids) {
    Http.await(g.vertx.eventBus().request(Addresses.CACHE_INVALIDATE, new JsonObject().put("resource", resource)
        .put("tenant", tenant).put("ids", ids == null ? null : new JsonArray(new ArrayList<>(ids)))));
  }

  static long statementsLike(String fragment) {
    Row row = Http.await(gw.db.preparedQuery("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
        + "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE $1")
        .execute(io.vertx.sqlclient.Tuple.of("%" + fragment + "%"))).iterator().next();
    return row.getLong(0);
  }

  @Test
  @DisplayName("a point read and a page are a miss, then a hit; no-cache bypasses")
  void hitAndMiss() {
    assertEquals("miss", read(http, "/v1/leads/5", "demo-reader").header("X-Cache"));
    assertEquals("hit", read(http, "/v1/leads/5", "demo-reader").header("X-Cache"));
    assertEquals("miss", read(http, "/v1/leads?status=eq.won&limit=7", "demo-reader").header("X-Cache"));
    Http.Response hit = read(http, "/v1/leads?status=eq.won&limit=7", "demo-reader");
    assertEquals("hit", hit.header("X-Cache"));
    assertEquals(7, hit.json().getJsonArray("data").size());
    Http.Response bypass = http.send(http.builder("/v1/leads/5", "demo-reader").header("Cache-Control", "no-cache").build());
    assertEquals("miss", bypass.header("X-Cache"));
  }

  @Test
  @DisplayName("the tenant is part of every key: another tenant never gets a cached row")
  void noCrossTenantHit() {
    read(http, "/v1/leads/9", "demo-reader");
    assertEquals("hit", read(http, "/v1/leads/9", "demo-reader").header("X-Cache"));
    assertEquals(404, http.get("/v1/leads/9", "demo-reader-2").status());
    JsonObject mine = read(http, "/v1/leads?limit=3&select=id,org_id", "demo-reader").json();
    JsonObject theirs = read(http, "/v1/leads?limit=3&select=id,org_id", "demo-reader-2").json();
    mine.getJsonArray("data").forEach(o -> assertEquals(1L, ((JsonObject) o).getLong("org_id")));
    theirs.getJsonArray("data").forEach(o -> assertEquals(2L, ((JsonObject) o).getLong("org_id")));
  }

  @Test
  @DisplayName("after a committed write and its invalidation, the writer's gateway never returns the old value, "
      + "and one that checks Redis on every hit (l1MaxAgeMs 0) neither")
  void exactInvalidationAcrossGateways() {
    TestGateway other = Http.await(TestGateway.attach(gw, "cache-b", new JsonObject()
        .put("cache", new JsonObject().put("l1MaxAgeMs", 0))
        .put("redis", new JsonObject().put("url", gw.services().redisUrl()))));
    try {
      Http httpB = new Http(other.port);
      String path = "/v1/leads/13?select=id,title,customer(id,name)";
      String page = "/v1/leads?select=id,title&id=in.(13,17)";
      for (Http h : List.of(http, httpB)) {
        read(h, path, "demo-reader");
        read(h, page, "demo-reader");
        assertEquals("hit", read(h, path, "demo-reader").header("X-Cache"));
      }
      for (int round = 1; round <= 3; round++) {
        String title = "Renamed lead round " + round;
        Http.await(gw.db.preparedQuery("UPDATE leads SET title = $1 WHERE id = 13").execute(io.vertx.sqlclient.Tuple.of(title)));
        invalidate(gw, "leads", 1, List.of(13L));
        for (Http h : List.of(httpB, http)) {
          assertEquals(title, read(h, path, "demo-reader").json().getString("title"));
          assertTrue(read(h, page, "demo-reader").body().contains(title));
        }
      }
      // An embedded resource's write reaches the values that embed it.
      Http.await(gw.db.query("UPDATE customers SET name = 'Renamed customer' WHERE id = 13").execute());
      invalidate(gw, "customers", 1, List.of(13L));
      assertEquals("Renamed customer", read(http, path, "demo-reader").json().getJsonObject("customer").getString("name"));
      assertEquals("Renamed customer", read(httpB, path, "demo-reader").json().getJsonObject("customer").getString("name"));
    } finally {
      Http.await(other.close());
    }
  }

  @Test
  @DisplayName("a gateway outside the writer's cluster serves its L1 from memory and catches up within l1MaxAgeMs")
  void unclusteredGatewayCatchesUp() throws Exception {
    TestGateway other = Http.await(TestGateway.attach(gw, "cache-c", new JsonObject()
        .put("cache", new JsonObject().put("l1MaxAgeMs", 300))
        .put("redis", new JsonObject().put("url", gw.services().redisUrl()))));
    try {
      Http httpC = new Http(other.port);
      String path = "/v1/leads/29?select=id,title";
      read(httpC, path, "demo-reader");
      assertEquals("hit", read(httpC, path, "demo-reader").header("X-Cache"));
      Http.await(gw.db.query("UPDATE leads SET title = 'Renamed far away' WHERE id = 29").execute());
      invalidate(gw, "leads", 1, List.of(29L));
      assertEquals("Renamed far away", read(http, path, "demo-reader").json().getString("title"));
      // No broadcast reaches it: the max age bounds its old answers (polled, bounded; no timing asserted).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String seen = read(httpC, path, "demo-reader").json().getString("title");
      while (!"Renamed far away".equals(seen) && System.nanoTime() < deadline) {
        Http.await(Future.future(p -> other.vertx.setTimer(50, t -> p.complete())));
        seen = read(httpC, path, "demo-reader").json().getString("title");
      }
      assertEquals("Renamed far away", seen);
    } finally {
      Http.await(other.close());
    }
  }

  @Test
  @DisplayName("100 concurrent requests for a cold key run one statement")
  void singleFlight() {
    String marker = "status = $2";
    String path = "/v1/leads?status=eq.contacted&limit=11&select=id,status,priority";
    long before = statementsLike(marker);
    java.net.http.HttpClient client = Http.newClient();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(client.sendAsync(http.builder(path, "demo-reader").build(), HttpResponse.BodyHandlers.ofString()));
    }
    calls.forEach(c -> assertEquals(200, c.join().statusCode()));
    assertEquals(1, statementsLike(marker) - before);
  }

  @Test
  @DisplayName("Redis cut mid-load: every request succeeds, readiness is degraded, caching resumes after")
  void redisFault() throws Exception {
    java.net.http.HttpClient client = Http.newClient();
    read(http, "/v1/leads/21", "demo-reader");
    assertEquals("hit", read(http, "/v1/leads/21", "demo-reader").header("X-Cache"));
    redisProxy.cut();
    try {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        long id = 1 + 4L * (i % 60);
        calls.add(client.sendAsync(http.builder("/v1/leads/" + id, "demo-reader").build(), HttpResponse.BodyHandlers.ofString()));
        if (i % 50 == 0) Thread.sleep(20); // pacing: the load spreads over the cut, it waits for nothing
      }
      for (CompletableFuture<HttpResponse<String>> c : calls) assertEquals(200, c.join().statusCode());
      Http.Response ready = http.get("/health/ready", null);
      assertEquals(200, ready.status());
      assertEquals(true, ready.json().getBoolean("degraded"));
      // A write while Redis is away is still exact on this gateway.
      Http.await(gw.db.query("UPDATE leads SET title = 'Written while Redis was away' WHERE id = 21").execute());
      invalidate(gw, "leads", 1, List.of(21L));
      assertEquals("Written while Redis was away", read(http, "/v1/leads/21", "demo-reader").json().getString("title"));
    } finally {
      redisProxy.restore();
    }
    // The breaker probes again on its own (reset timeout 2 s); caching resumes.
    Poll.until("caching resumed after Redis came back", 15_000, () -> {
      http.get("/v1/leads/25", "demo-reader");
      return "hit".equals(http.get("/v1/leads/25", "demo-reader").header("X-Cache"))
          && !http.get("/health/ready", null).json().getBoolean("degraded");
    });
    assertEquals("Written while Redis was away", read(http, "/v1/leads/21", "demo-reader").json().getString("title"));
  }
}
