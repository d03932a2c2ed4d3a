package dev.sluice.http;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
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
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The lane before the router answers exactly as the routes do: two gateways on the same demo data,
 * one with {@code http.hotReads} on (the default) and one with it off, get the same point reads and
 * give the same status, body and headers (less the ones that differ by nature: the date, a made-up
 * request id, hit or miss, and the rate-limit counters the two share in Redis).
 */
@DisplayName("Hot reads: a point read answered before the router gets the same status, body and headers as a routed one")
class HotReadsIT {
  static TestGateway lane;
  static TestGateway routed;
  static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final Set<String> DIFFER = Set.of("date", "x-request-id", "x-cache", "ratelimit-remaining", "ratelimit-reset");

  static JsonObject overrides(boolean hotReads) {
    return new JsonObject()
        .put("demo", new JsonObject().put("leads", 200).put("documentsLimit", 20))
        .put("http", new JsonObject().put("hotReads", hotReads))
        // tenant 2 is rate limited: its reads take the router, which sends the RateLimit headers
        .put("rateLimits", new JsonObject().put("enabled", true).put("limits", new JsonArray().add(new JsonObject()
            .put("name", "t2").put("per", "tenant").put("tenants", new JsonArray().add(2))
            .put("capacity", 1000).put("perSecond", 1000))));
  }

  @BeforeAll
  static void start() {
    lane = Http.await(TestGateway.start("hotreads-lane", overrides(true), List.of()));
    routed = Http.await(TestGateway.start("hotreads-routed", overrides(false), List.of()));
  }

  @AfterAll
  static void stop() {
    if (lane != null) Http.await(lane.close());
    if (routed != null) Http.await(routed.close());
  }

  /** Status, body and the headers that must agree, as one comparable string. */
  static String answer(TestGateway gw, String path, String key, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.port + path));
    if (key != null) b.header("Authorization", key);
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      TreeMap<String, List<String>> kept = new TreeMap<>();
      r.headers().map().forEach((name, values) -> {
        String n = name.toLowerCase(Locale.ROOT);
        if (!DIFFER.contains(n) && !n.equals(":status")) kept.put(n, values);
      });
      return r.statusCode() + " " + kept + " " + r.body();
    } catch (Exception e) {
      throw new AssertionError(path, e);
    }
  }

  @Test
  @DisplayName("found, not found, another tenant's row, bad ids, select, unknown resources and fields, keys and no keys")
  void sameAnswers() {
    String reader = "Bearer demo-reader";
    List<String[]> requests = List.of(
        new String[] {"/v1/leads/1", reader},
        new String[] {"/v1/leads/2", reader}, // tenant 2's lead
        new String[] {"/v1/leads/999999", reader},
        new String[] {"/v1/leads/abc", reader},
        new String[] {"/v1/leads/1.5", reader},
        new String[] {"/v1/leads/-1", reader},
        new String[] {"/v1/leads/99999999999999999999999", reader},
        new String[] {"/v1/leads/1?select=id,title", reader},
        new String[] {"/v1/leads/1?select=id,customer(name)", reader},
        new String[] {"/v1/leads/1?select=nope", reader},
        new String[] {"/v1/leads/1?select=id&select=title", reader},
        new String[] {"/v1/leads/1?select=", reader},
        new String[] {"/v1/leads/1?unknown=1", reader},
        new String[] {"/v1/nope/1", reader},
        new String[] {"/v1/customers/1", reader},
        new String[] {"/v1/organizations/1", reader},
        new String[] {"/v1/organizations/2", reader},
        new String[] {"/v1/documents/2", reader},
        new String[] {"/v1/lead_stats_daily/1", reader},
        new String[] {"/v1/leads/1", "bearer demo-reader"},
        new String[] {"/v1/leads/1", "Bearer demo-writer"},
        new String[] {"/v1/leads/1", "Bearer demo-admin"},
        new String[] {"/v1/leads/2", "Bearer demo-reader-2"},
        new String[] {"/v1/leads/1", "Bearer nope"},
        new String[] {"/v1/leads/1", null});
    for (String[] r : requests) {
      assertEquals(answer(routed, r[0], r[1]), answer(lane, r[0], r[1]), r[0] + " with " + r[1]);
      assertEquals(answer(routed, r[0], r[1], "Cache-Control", "no-cache"), answer(lane, r[0], r[1], "Cache-Control", "no-cache"),
          r[0] + " with " + r[1] + ", no-cache");
    }
  }
}
