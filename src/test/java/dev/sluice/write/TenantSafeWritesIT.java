package dev.sluice.write;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.function.LongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, items 2 and 3: a reference written by a tenant points at its own rows only, on every
 * write path, and the answer for another tenant's id is the answer for an id that does not exist;
 * the catalog's write roles (documents: admin only); updated_at kept by the gateway.
 */
@DisplayName("Tenant-safe references, write roles per resource, and updated_at set by the gateway")
class TenantSafeWritesIT {
  static TestGateway gw;
  static Http http;
  static long otherTenantsCustomer;
  static long missingCustomer;
  static long ownCustomer;
  static long ownLead;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("tenantsafe", new JsonObject().put("demo", new JsonObject().put("leads", 200)
        .put("documentsLimit", 10)), List.of()));
    http = new Http(gw.port);
    otherTenantsCustomer = one("SELECT min(id) FROM customers WHERE org_id = 2");
    ownCustomer = one("SELECT min(id) FROM customers WHERE org_id = 1");
    missingCustomer = one("SELECT max(id) + 1000 FROM customers");
    ownLead = one("SELECT min(id) FROM leads WHERE org_id = 1");
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static long one(String sql, Object... params) {
    return Http.await(gw.db.preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  static Http.Response send(String method, String path, String key, String type, String body) {
    return http.send(method, path, key, type, body);
  }

  /**
   * Runs one write with another tenant's customer and with a customer that exists nowhere: both are
   * refused with the same status and the same body, so the answer says nothing about other tenants.
   */
  static void sameRefusal(String what, LongFunction<Http.Response> write) {
    Http.Response foreign = write.apply(otherTenantsCustomer);
    Http.Response missing = write.apply(missingCustomer);
    assertTrue(foreign.status() >= 400 && foreign.status() < 500, what + ": " + foreign.status() + " " + foreign.body());
    assertEquals(missing.status(), foreign.status(), what);
    assertEquals(missing.body(), foreign.body(), what + ": the same answer for another tenant's id as for a missing one");
  }

  @Test
  @DisplayName("bulk, upsert, NDJSON, PATCH and batch cannot point a lead at another tenant's customer")
  void referencesStayInTheTenant() {
    String title = "Ref " + System.nanoTime();
    String w = "demo-writer";
    sameRefusal("bulk insert", c -> send("POST", "/v1/leads/bulk", w, "application/json",
        new JsonArray().add(new JsonObject().put("title", title).put("customer_id", c)).encode()));
    sameRefusal("upsert", c -> send("POST", "/v1/leads/bulk?onConflict=update", w, "application/json",
        new JsonArray().add(new JsonObject().put("id", ownLead).put("title", title).put("customer_id", c)).encode()));
    sameRefusal("NDJSON", c -> send("POST", "/v1/leads/bulk", w, "application/x-ndjson",
        "{\"title\":\"" + title + "\"}\n{\"title\":\"" + title + "\",\"customer_id\":" + c + "}\n"));
    sameRefusal("PATCH", c -> send("PATCH", "/v1/leads?id=eq." + ownLead, w, "application/json",
        new JsonObject().put("customer_id", c).encode()));
    sameRefusal("batch", c -> send("POST", "/v1/batch", w, "application/json", new JsonObject().put("operations",
        new JsonArray().add(new JsonObject().put("op", "patch").put("resource", "leads").put("filter", "id=eq." + ownLead)
            .put("set", new JsonObject().put("customer_id", c)))).encode()));
    assertEquals(0, one("SELECT count(*) FROM leads WHERE title = $1", title), "nothing written");
    assertEquals(0, one("SELECT count(*) FROM leads l JOIN customers c ON c.id = l.customer_id WHERE c.org_id <> l.org_id"));

    // The caller's own customer is fine on every path.
    Http.Response own = send("PATCH", "/v1/leads?id=eq." + ownLead, w, "application/json",
        new JsonObject().put("customer_id", ownCustomer).encode());
    assertEquals(200, own.status(), own.body());
    Http.Response bulk = send("POST", "/v1/leads/bulk", w, "application/x-ndjson",
        "{\"title\":\"" + title + "\",\"customer_id\":" + ownCustomer + "}\n");
    assertEquals(200, bulk.status(), bulk.body());
  }

  @Test
  @DisplayName("the shared documents are written by admin keys only; writers get 403 on every path, the bus included")
  void documentsAreAdminOnly() {
    long doc = one("SELECT min(id) FROM documents");
    String w = "demo-writer";
    assertEquals(403, send("PATCH", "/v1/documents?id=eq." + doc, w, "application/json", "{\"section\":\"x\"}").status());
    assertEquals(403, send("DELETE", "/v1/documents?id=eq." + doc, w, null, null).status());
    assertEquals(403, send("POST", "/v1/documents/bulk", w, "application/json", "[{\"id\":1}]").status());
    assertEquals(403, send("POST", "/v1/documents/bulk", w, "application/x-ndjson", "{\"id\":1}\n").status());
    Http.Response batch = send("POST", "/v1/batch", w, "application/json", new JsonObject().put("operations", new JsonArray()
        .add(new JsonObject().put("op", "delete").put("resource", "documents").put("filter", "id=eq." + doc))).encode());
    assertEquals(403, batch.status(), batch.body());
    ReplyException bus = (ReplyException) Http.awaitFailure(gw.vertx.eventBus().request(Addresses.DELETE, new JsonObject()
        .put("resource", "documents").put("apiKey", w).put("id", String.valueOf(doc))));
    assertEquals(403, bus.failureCode());
    assertEquals(1, one("SELECT count(*) FROM documents WHERE id = $1", doc), "still there");

    Http.Response admin = send("PATCH", "/v1/documents?id=eq." + doc, "demo-admin", "application/json",
        "{\"section\":\"admin-edit\"}");
    assertEquals(200, admin.status(), admin.body());
    assertEquals(1, admin.json().getLong("updated"));
  }

  @Test
  @DisplayName("PATCH and the update of an upsert set updated_at; a client may not set it on PATCH")
  void updatedAtIsKeptByTheGateway() {
    long lead = one("SELECT max(id) FROM leads WHERE org_id = 1");
    Http.await(gw.db.preparedQuery("UPDATE leads SET updated_at = '2001-01-01T00:00:00Z' WHERE id = $1").execute(Tuple.of(lead)));
    Http.Response patch = send("PATCH", "/v1/leads?id=eq." + lead, "demo-writer", "application/json", "{\"priority\":4}");
    assertEquals(200, patch.status(), patch.body());
    assertTrue(updatedAt(lead).getYear() > 2001, "PATCH set updated_at");

    Http.await(gw.db.preparedQuery("UPDATE leads SET updated_at = '2001-01-01T00:00:00Z' WHERE id = $1").execute(Tuple.of(lead)));
    Http.Response upsert = send("POST", "/v1/leads/bulk?onConflict=update", "demo-writer", "application/json",
        new JsonArray().add(new JsonObject().put("id", lead).put("title", "Upserted").put("updated_at", "2002-02-02T00:00:00Z"))
            .encode());
    assertEquals(200, upsert.status(), upsert.body());
    assertEquals(1, upsert.json().getLong("updated"));
    assertTrue(updatedAt(lead).getYear() > 2002, "the upsert's update set updated_at, not the client's value");

    Http.Response refused = send("PATCH", "/v1/leads?id=eq." + lead, "demo-writer", "application/json",
        "{\"updated_at\":\"2003-03-03T00:00:00Z\"}");
    assertEquals(400, refused.status(), refused.body());
    assertEquals("updated_at", refused.json().getJsonObject("error").getJsonObject("details").getJsonArray("rows")
        .getJsonObject(0).getString("field"));
  }

  static OffsetDateTime updatedAt(long id) {
    return Http.await(gw.db.preparedQuery("SELECT updated_at FROM leads WHERE id = $1").execute(Tuple.of(id)))
        .iterator().next().getOffsetDateTime(0);
  }
}
