package dev.sluice.write;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Relative updates ({@code {"priority": {"inc": 1}}}) and {@code Prefer: return=representation|minimal}
 * on the real database. Demo data: lead g belongs to tenant 1 + (g-1) % 4, so leads 1, 5, 9, ... are
 * the writer's (tenant 1) and 2, 6, ... another tenant's.
 */
@DisplayName("Relative updates and Prefer: return=representation|minimal on writes")
class RelativeUpdatesIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("relative", null, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static Http.Response patch(String query, String body, String prefer) {
    HttpRequest.Builder b = http.builder("/v1/leads?" + query, "demo-writer").header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
    if (prefer != null) b.header("Prefer", prefer);
    return http.send(b.build());
  }

  static int priority(long id) {
    return Http.await(gw.db.query("SELECT priority FROM leads WHERE id = " + id).execute()).iterator().next().getInteger(0);
  }

  @Test
  @DisplayName("concurrent increments all count (atomic in SQL); a step past the column's check is a 400 and changes nothing")
  void concurrentIncrements() {
    Http.await(gw.db.query("UPDATE leads SET priority = 1 WHERE id = 1").execute());
    List<CompletableFuture<Http.Response>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(CompletableFuture.supplyAsync(() -> patch("id=eq.1", "{\"priority\": {\"inc\": 1}}", null)));
    }
    calls.forEach(c -> {
      Http.Response r = c.join();
      assertEquals(200, r.status(), r.body());
      assertEquals(1L, r.json().getLong("updated"));
    });
    assertEquals(5, priority(1));
    Http.Response over = patch("id=eq.1", "{\"priority\": {\"inc\": 1}}", null);
    assertEquals(400, over.status(), over.body());
    assertEquals(5, priority(1));
    assertEquals(200, patch("id=eq.1", "{\"priority\": {\"inc\": -2}}", null).status());
    assertEquals(3, priority(1));
  }

  @Test
  @DisplayName("the step is typed as the column: a fraction, text or another shape is a 400 naming the field")
  void typedSteps() {
    for (String body : List.of("{\"priority\": {\"inc\": 1.5}}", "{\"priority\": {\"inc\": \"1\"}}",
        "{\"priority\": {\"add\": 1}}", "{\"title\": {\"inc\": 1}}")) {
      Http.Response r = patch("id=eq.5", body, null);
      assertEquals(400, r.status(), body + " -> " + r.body());
      assertTrue(r.body().contains("\"field\""), r.body());
    }
  }

  @Test
  @DisplayName("increments over the bus and in a batch, scoped to the caller's tenant")
  void busAndBatch() {
    int before = priority(9);
    int other = priority(2);
    int step = before >= 3 ? -1 : 1;
    JsonObject reply = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.PATCH, new JsonObject()
        .put("resource", "leads").put("apiKey", "demo-writer").put("or", "(id.eq.9,id.eq.2)")
        .put("body", new JsonObject().put("priority", new JsonObject().put("inc", step))))).body();
    assertEquals(1L, reply.getLong("updated"));
    assertEquals(before + step, priority(9));
    assertEquals(other, priority(2), "another tenant's row is untouched");
    Http.Response batch = http.send("POST", "/v1/batch", "demo-writer", "application/json", new JsonObject().put("operations",
        new JsonArray().add(new JsonObject().put("op", "patch").put("resource", "leads").put("filter", "id=eq.9")
            .put("set", new JsonObject().put("priority", new JsonObject().put("inc", -step))))).encode());
    assertEquals(200, batch.status(), batch.body());
    assertEquals(before, priority(9));
  }

  @Test
  @DisplayName("Prefer: return=representation brings back the written rows of the caller's tenant, in select's fields")
  void representation() {
    Http.Response r = patch("select=id,status,priority&or=" + URLEncoder.encode("(id.eq.13,id.eq.2)", StandardCharsets.UTF_8),
        "{\"status\": \"qualified\"}", "return=representation");
    assertEquals(200, r.status(), r.body());
    assertEquals("return=representation", r.header("Preference-Applied"));
    assertEquals(1L, r.json().getLong("updated"));
    JsonArray data = r.json().getJsonArray("data");
    assertEquals(1, data.size());
    assertEquals(new JsonObject().put("id", 13).put("status", "qualified").put("priority", priority(13)), data.getJsonObject(0));

    Http.Response minimal = patch("id=eq.13", "{\"status\": \"new\"}", "return=minimal");
    assertEquals(new JsonObject().put("updated", 1), minimal.json());
    assertEquals("return=minimal", minimal.header("Preference-Applied"));

    Http.Response bulk = http.send(http.builder("/v1/leads/bulk?onConflict=skip&select=id,title,org_id", "demo-writer")
        .header("Content-Type", "application/json").header("Prefer", "return=representation")
        .POST(HttpRequest.BodyPublishers.ofString("[{\"id\": 800002, \"title\": \"B\"}, {\"id\": 13, \"title\": \"dup\"},"
            + " {\"id\": 800001, \"title\": \"A\"}]")).build());
    assertEquals(200, bulk.status(), bulk.body());
    assertEquals(2L, bulk.json().getLong("inserted"));
    assertEquals(new JsonArray().add(new JsonObject().put("id", 800002).put("title", "B").put("org_id", 1))
        .add(new JsonObject().put("id", 800001).put("title", "A").put("org_id", 1)), bulk.json().getJsonArray("data"));

    Http.Response deleted = http.send(http.builder("/v1/leads?id=in.(800001,800002,2)&select=id", "demo-writer")
        .header("Prefer", "return=representation").DELETE().build());
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals(2L, deleted.json().getLong("deleted"));
    List<Long> gone = new ArrayList<>();
    deleted.json().getJsonArray("data").forEach(o -> gone.add(((JsonObject) o).getLong("id")));
    gone.sort(null);
    assertEquals(List.of(800001L, 800002L), gone);
  }

  @Test
  @DisplayName("a refused write has no Preference-Applied; an unknown preference is ignored")
  void preferenceOnErrors() {
    Http.Response bad = patch("id=eq.13", "{\"priority\": 9}", "return=representation");
    assertEquals(400, bad.status(), bad.body());
    assertNull(bad.header("Preference-Applied"));
    Http.Response unknown = patch("id=eq.13", "{\"status\": \"new\"}", "tx=rollback, handling=lenient");
    assertEquals(200, unknown.status(), unknown.body());
    assertNull(unknown.header("Preference-Applied"));
  }
}
