package dev.sluice.data;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Reads: keyset and offset pages, selection, filters, embedded relations, coalesced point reads")
class ReadsIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("reads", null, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static JsonObject ok(String path) {
    Http.Response r = http.get(path, "demo-reader");
    assertEquals(200, r.status(), path + " -> " + r.body());
    return r.json();
  }

  static String errorCode(String path) {
    Http.Response r = http.get(path, "demo-reader");
    assertEquals(400, r.status(), path + " -> " + r.body());
    return r.json().getJsonObject("error").getString("message");
  }

  /** Resets this database's statement statistics, runs the action, and returns the statements it ran. */
  static long statementsRunBy(Runnable action) {
    return gw.statementsRunBy(action);
  }

  @Test
  @DisplayName("keyset pages walk a tenant's rows in order with no gap and no duplicate")
  void keysetWalk() {
    List<Long> seen = new ArrayList<>();
    String next = null;
    int pages = 0;
    do {
      JsonObject page = ok("/v1/leads?select=id,created_at&order=created_at.desc&limit=97"
          + (next == null ? "" : "&after=" + enc(next)));
      page.getJsonArray("data").forEach(o -> seen.add(((JsonObject) o).getLong("id")));
      next = page.getString("next");
      pages++;
    } while (next != null && pages < 100);
    List<Long> expected = new ArrayList<>();
    for (Row r : Http.await(gw.db.query("SELECT id FROM leads WHERE org_id = 1 ORDER BY created_at DESC, id DESC").execute())) {
      expected.add(r.getLong(0));
    }
    assertEquals(expected, seen);
  }

  @Test
  @DisplayName("mixed directions page correctly too (expanded keyset predicate)")
  void mixedDirections() {
    List<Long> seen = new ArrayList<>();
    String next = null;
    do {
      JsonObject page = ok("/v1/leads?select=id&order=priority.asc,created_at.desc&status=eq.new&limit=50"
          + (next == null ? "" : "&after=" + enc(next)));
      page.getJsonArray("data").forEach(o -> seen.add(((JsonObject) o).getLong("id")));
      next = page.getString("next");
    } while (next != null);
    List<Long> expected = new ArrayList<>();
    for (Row r : Http.await(gw.db.query("SELECT id FROM leads WHERE org_id = 1 AND status = 'new' "
        + "ORDER BY priority ASC, created_at DESC, id DESC").execute())) {
      expected.add(r.getLong(0));
    }
    assertEquals(expected, seen);
  }

  @Test
  @DisplayName("the keyset SQL is a row-value comparison with no OFFSET")
  void keysetSql() {
    JsonObject first = ok("/v1/leads?order=created_at.desc&limit=5");
    String sql = new PageReader(gw.gateway.catalog(), gw.config.reads(), null, null).plan(new dev.sluice.bus.DataRequest(
        "leads", 1, null, new JsonObject().put("order", "created_at.desc").put("limit", "5")
        .put("after", first.getString("next")), null, true)).sql();
    assertTrue(sql.contains("(t.created_at, t.id) < ($2, $3)"), sql);
    assertFalse(sql.toUpperCase().contains("OFFSET"), sql);
  }

  @Test
  @DisplayName("a cursor replayed with another order, filter or resource is a 400")
  void cursorBinding() {
    String next = ok("/v1/leads?order=created_at.desc&limit=5").getString("next");
    assertTrue(errorCode("/v1/leads?order=updated_at.desc&limit=5&after=" + enc(next)).contains("cursor"));
    assertTrue(errorCode("/v1/leads?order=created_at.desc&status=eq.new&limit=5&after=" + enc(next)).contains("cursor"));
    assertTrue(errorCode("/v1/customers?order=created_at.desc&limit=5&after=" + enc(next)).contains("cursor"));
    assertTrue(errorCode("/v1/leads?after=not-a-cursor").contains("cursor"));
  }

  @Test
  @DisplayName("offset pages report exact and estimated totals, and stop at the configured depth")
  void offsetPages() {
    JsonObject exact = ok("/v1/leads?page=2&limit=10&count=exact&select=id");
    assertEquals(10, exact.getJsonArray("data").size());
    assertEquals(2, exact.getInteger("page"));
    assertEquals(500L, exact.getLong("total")); // 2000 demo leads over 4 tenants
    assertEquals(50L, exact.getLong("totalPages"));
    JsonObject estimated = ok("/v1/leads?page=1&limit=10&count=estimated&select=id");
    assertTrue(estimated.getLong("total") > 0);
    JsonObject none = ok("/v1/leads?page=1&limit=10&select=id");
    assertNull(none.getValue("total"));
    String tooDeep = errorCode("/v1/leads?page=1001&limit=10");
    assertTrue(tooDeep.contains("after"), tooDeep);
  }

  @Test
  @DisplayName("select returns only the fields asked for, and unknown fields are a 400 listing the allowed ones")
  void selection() {
    JsonObject lead = ok("/v1/leads/1?select=id,status");
    assertEquals(Set.of("id", "status"), lead.fieldNames());
    Http.Response r = http.get("/v1/leads?select=id,password", "demo-reader");
    assertEquals(400, r.status());
    assertTrue(r.json().getJsonObject("error").getJsonObject("details").getJsonArray("allowed").contains("title"));
  }

  @Test
  @DisplayName("filters are typed: eq, in, is, ilike, gte and fts work, a bad value is a 400")
  void filters() {
    for (Object o : ok("/v1/leads?status=eq.won&priority=gte.4&limit=50").getJsonArray("data")) {
      JsonObject l = (JsonObject) o;
      assertEquals("won", l.getString("status"));
      assertTrue(l.getInteger("priority") >= 4);
    }
    JsonArray in = ok("/v1/leads?id=in.(1,5,9,2)&select=id").getJsonArray("data");
    assertEquals(3, in.size()); // 2 is tenant 2's
    assertEquals(0, ok("/v1/leads?customer_id=is.null").getJsonArray("data").size());
    for (Object o : ok("/v1/leads?title=ilike.*ROOF*&limit=20").getJsonArray("data")) {
      assertTrue(((JsonObject) o).getString("title").toLowerCase().contains("roof"));
    }
    assertTrue(ok("/v1/leads?title=not.ilike.*roof*&limit=5").getJsonArray("data").size() > 0);
    JsonArray fts = ok("/v1/documents?text=fts.compression&select=id,text&limit=5").getJsonArray("data");
    assertTrue(fts.size() > 0);
    assertTrue(errorCode("/v1/leads?priority=gte.high").contains("whole number"));
    assertTrue(errorCode("/v1/leads?created_at=gt.yesterday").contains("timestamp"));
    assertTrue(errorCode("/v1/leads?title=fts.roof").contains("full-text"));
    assertTrue(errorCode("/v1/leads?secret=eq.1").contains("Unknown filter field"));
    assertTrue(errorCode("/v1/leads?status=regex.x").contains("operator"));
  }

  @Test
  @DisplayName("a to-one and a to-many relation are embedded, tenant-scoped, in the same statement")
  void embedded() {
    JsonObject page = ok("/v1/customers?select=id,name,leads(id,title,org_id)&limit=3");
    for (Object o : page.getJsonArray("data")) {
      JsonObject c = (JsonObject) o;
      JsonArray leads = c.getJsonArray("leads");
      assertNotNull(leads);
      assertTrue(leads.size() <= 20);
      leads.forEach(l -> assertEquals(1L, ((JsonObject) l).getLong("org_id")));
    }
    JsonObject lead = ok("/v1/leads/1?select=id,customer(id,name)");
    assertEquals(1L, lead.getJsonObject("customer").getLong("id"));
  }

  @Test
  @DisplayName("a 100-row page with an embedded relation runs exactly one SQL statement")
  void oneStatementPerPage() {
    long statements = statementsRunBy(() -> {
      JsonObject page = ok("/v1/leads?select=id,title,customer(id,name)&status=neq.lost&limit=100");
      assertEquals(100, page.getJsonArray("data").size());
      page.getJsonArray("data").forEach(o -> assertNotNull(((JsonObject) o).getJsonObject("customer")));
    });
    assertEquals(1, statements);
  }

  @Test
  @DisplayName("concurrent point reads are coalesced, and each caller gets exactly its own row or 404")
  void coalescedPointReads() {
    java.net.http.HttpClient client = Http.newClient();
    long statements = statementsRunBy(() -> {
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (long id = 1; id <= 200; id++) {
        calls.add(client.sendAsync(http.builder("/v1/leads/" + id + "?select=id,org_id", "demo-reader").build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < calls.size(); i++) {
        long id = i + 1;
        HttpResponse<String> r = calls.get(i).join();
        if ((id - 1) % 4 == 0) {
          assertEquals(200, r.statusCode(), r.body());
          assertEquals(id, new JsonObject(r.body()).getLong("id"));
        } else {
          assertEquals(404, r.statusCode(), "lead " + id + " is another tenant's");
        }
      }
    });
    assertTrue(statements < 200, "200 reads took " + statements + " statements");
  }

  @Test
  @DisplayName("the same page is served to an event-bus consumer as JSON")
  void pageOverTheBus() {
    JsonObject reply = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.READ, new JsonObject()
        .put("resource", "leads").put("tenant", 1).put("select", "id,status").put("status", "eq.new").put("limit", 3))).body();
    assertEquals(3, reply.getJsonArray("data").size());
    assertNotNull(reply.getString("next"));
    Set<String> statuses = new HashSet<>();
    reply.getJsonArray("data").forEach(o -> statuses.add(((JsonObject) o).getString("status")));
    assertEquals(Set.of("new"), statuses);
  }

  @Test
  @DisplayName("limits are enforced: above the maximum or not a number is a 400")
  void limits() {
    assertTrue(errorCode("/v1/leads?limit=1001").contains("at most"));
    assertTrue(errorCode("/v1/leads?limit=0").contains("at least 1"));
    assertTrue(errorCode("/v1/leads?order=title.desc").contains("order"));
  }
}
