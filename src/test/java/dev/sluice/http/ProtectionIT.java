package dev.sluice.http;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statement timeout and the bounded wait for a connection, driven by a test-only resource over a
 * view that sleeps: one connection, no pipelining, no wait queue.
 */
@DisplayName("Protection: statement timeout is 504, a full pool is 503 with Retry-After")
class ProtectionIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    JsonObject overrides = new JsonObject()
        .put("pg", new JsonObject().put("poolSize", 1).put("pipeliningLimit", 1).put("maxWaitQueueSize", 0)
            .put("statementTimeoutMs", 1500))
        .put("demo", new JsonObject().put("leads", 100).put("documentsLimit", 10))
        .put("resources", new JsonObject().put("naps", new JsonObject()
            .put("table", "naps").put("primaryKey", "id").put("fields", new JsonArray().add("id").add("seconds"))));
    // The view sleeps for the row's own number of seconds when it is read.
    List<String> setup = List.of("CREATE VIEW naps AS SELECT s.id::bigint AS id, s.secs::float8 AS seconds "
        + "FROM (VALUES (1, 0.6), (2, 3.0)) AS s(id, secs), LATERAL (SELECT pg_sleep(s.secs)) AS z");
    gw = Http.await(TestGateway.start("protection", overrides, setup));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  @Test
  @DisplayName("a statement over the statement timeout is a 504 timeout")
  void statementTimeout() {
    Http.Response r = http.get("/v1/naps/2", "demo-reader");
    assertEquals(504, r.status(), r.body());
    assertEquals("timeout", r.json().getJsonObject("error").getString("code"));
    assertFalse(r.body().toLowerCase().contains("select"), "no SQL in errors");
  }

  @Test
  @DisplayName("with the only connection busy and no wait queue, a request is refused with 503 overloaded")
  void overloaded() {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    java.net.http.HttpClient client = Http.newClient();
    for (int i = 0; i < 6; i++) {
      // distinct selections, so coalescing cannot merge them into one statement
      String select = i % 2 == 0 ? "id" : "id,seconds";
      calls.add(client.sendAsync(http.builder("/v1/naps?id=eq.1&select=" + select + "&limit=" + (i + 1), "demo-reader").build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> responses = calls.stream().map(CompletableFuture::join).toList();
    HttpResponse<String> refused = responses.stream().filter(r -> r.statusCode() == 503).findFirst().orElse(null);
    assertTrue(refused != null, "expected a 503 among " + responses.stream().map(HttpResponse::statusCode).toList());
    assertEquals("overloaded", new JsonObject(refused.body()).getJsonObject("error").getString("code"));
    assertTrue(refused.headers().firstValue("Retry-After").isPresent());
    assertTrue(responses.stream().anyMatch(r -> r.statusCode() == 200), "the request that got the connection succeeds");
  }
}
