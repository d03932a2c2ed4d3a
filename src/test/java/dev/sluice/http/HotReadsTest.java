package dev.sluice.http;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataReply;
import dev.sluice.bus.LocalCalls;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which requests the lane before the router takes, on a real HTTP server: the lane's operation answers
 * {@code lane <resource> <id> <tenant> <query>}, the stand-in router answers 299, so each response says
 * who served it. HotReadsIT checks that a real gateway answers the same either way.
 */
@DisplayName("Hot reads: plain point reads with an API key take the lane before the router; everything else is routed")
class HotReadsTest {
  static Vertx vertx;
  static int port;
  static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    ApiKeys keys = new ApiKeys(Map.of("k1", new Principal(1, Role.READER), "k2", new Principal(2, Role.READER)));
    VerticleBase server = new VerticleBase() {
      @Override
      public Future<?> start() {
        LocalCalls local = LocalCalls.of(vertx);
        local.register(Addresses.GET, req -> switch (req.id()) {
          case "404" -> Future.failedFuture(ApiError.notFound("No leads with that id."));
          case "slow" -> Promise.<DataReply>promise().future(); // never answers: the deadline does
          default -> Future.succeededFuture(new DataReply(Buffer.buffer("lane " + req.resource() + " " + req.id() + " "
              + req.tenant() + " " + req.query().encode() + (req.noCache() ? " no-cache" : "")), "hit"));
        });
        RequestDeadlines deadlines = new RequestDeadlines(vertx, 300, 504);
        // tenant 2 is rate limited here: its requests must take the router, which applies the limits
        var limiter = new dev.sluice.ratelimit.RateLimiter(vertx, dev.sluice.config.RateLimitSettings.fromJson(
            new JsonObject().put("enabled", true).put("limits", new io.vertx.core.json.JsonArray().add(new JsonObject()
                .put("name", "t2").put("per", "tenant").put("tenants", new io.vertx.core.json.JsonArray().add(2))
                .put("capacity", 10).put("perSecond", 1)))), "redis://127.0.0.1:1", 100, "test:",
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
        HotReads lane = new HotReads(keys, limiter, local, deadlines, req -> req.response().setStatusCode(299).end("router"));
        return vertx.createHttpServer().requestHandler(lane).listen(0, "127.0.0.1").onSuccess(s -> port = s.actualPort());
      }
    };
    vertx.deployVerticle(server).await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static HttpResponse<String> get(String path, String key, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (key != null) b.header("Authorization", "Bearer " + key);
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @DisplayName("a plain point read with an API key is served by the operation on this loop, query and no-cache included")
  void laneServesPlainPointReads() {
    HttpResponse<String> r = get("/v1/leads/42", "k1");
    assertEquals(200, r.statusCode());
    assertEquals("lane leads 42 1 {}", r.body());
    assertEquals("hit", r.headers().firstValue("X-Cache").orElse(null));
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
    r = get("/v1/leads/42?select=id,title&x=1&x=2", "k1", "Cache-Control", "no-cache");
    assertEquals("lane leads 42 1 {\"select\":\"id,title\",\"x\":[\"1\",\"2\"]} no-cache", r.body());
    assertEquals("lane a-b_c.d~e 0f-9 1 {}", get("/v1/a-b_c.d~e/0f-9", "k1").body());
  }

  @Test
  @DisplayName("failures get the one JSON error shape, and an unanswered read its 504 at the deadline")
  void failuresAndDeadlines() {
    HttpResponse<String> r = get("/v1/leads/404", "k1");
    assertEquals(404, r.statusCode());
    assertEquals("not_found", new JsonObject(r.body()).getJsonObject("error").getString("code"));
    assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
    assertEquals("abc", get("/v1/leads/404", "k1", "X-Request-Id", "abc").headers().firstValue("X-Request-Id").orElse(null));
    r = get("/v1/leads/slow", "k1");
    assertEquals(504, r.statusCode());
    assertEquals("timeout", new JsonObject(r.body()).getJsonObject("error").getString("code"));
  }

  @Test
  @DisplayName("no key, an unknown key, a rate-limited tenant, other paths and escapes all go to the router")
  void everythingElseIsRouted() {
    for (String path : List.of("/v1/leads", "/v1/leads/", "/v1/leads/1/", "/v1/leads//1", "/v1/leads/1/similar",
        "/v1/leads/changes", "/v1/leads/%31", "/v1/./1", "/v1/leads/..", "/v2/leads/1", "/admin/db", "/health/live",
        "/v1/leads/" + "9".repeat(129))) {
      assertEquals(299, get(path, "k1").statusCode(), path);
    }
    assertEquals(299, get("/v1/leads/1", null).statusCode());
    assertEquals(299, get("/v1/leads/1", "nope").statusCode());
    assertEquals(299, get("/v1/leads/1", "k2").statusCode(), "a caller a rate limit applies to");
    assertEquals(200, get("/v1/leads/" + "9".repeat(128), "k1").statusCode());
  }

  @Test
  @DisplayName("the path test and the query decoding")
  void pathsAndQueries() {
    assertEquals(9, HotReads.pointReadSlash("/v1/leads/1"));
    assertEquals(-1, HotReads.pointReadSlash("/v1/leads/a b"));
    assertEquals(-1, HotReads.pointReadSlash("/v1//1"));
    assertEquals(-1, HotReads.pointReadSlash("/v1/leads/"));
    assertEquals(-1, HotReads.pointReadSlash("/v1/leads/changes"));
    MultiMap q = HotReads.queryParams("/v1/leads/1?Select=id&select=title&a=%20b+c");
    assertEquals(List.of("id", "title"), q.getAll("select"), "case-insensitive names, as vertx-web's queryParams");
    assertEquals(" b c", q.get("a"));
    assertNull(HotReads.queryParams("/v1/leads/1?a=%"), "what vertx-web would answer with 400");
  }
}
