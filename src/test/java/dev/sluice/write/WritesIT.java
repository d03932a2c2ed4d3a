package dev.sluice.write;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Writes: bulk insert (JSON and NDJSON), conflict modes, idempotency, tenancy, patch, delete, batch, change events")
class WritesIT {
  static TestGateway gw;
  static Http http;
  /** Fresh ids for each test, far above the demo data's identity range. */
  static final AtomicLong NEXT_ID = new AtomicLong(10_000_000);
  static final List<JsonObject> EVENTS = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    JsonObject overrides = new JsonObject()
        .put("writes", new JsonObject().put("maxRows", 5000).put("chunkRows", 1000).put("maxStreamRows", 25_000)
            .put("maxStreamBytes", 3_000_000).put("maxLineBytes", 4096));
    gw = Http.await(TestGateway.start("writes", overrides, List.of()));
    http = new Http(gw.port);
    for (String r : List.of("leads", "customers", "documents")) {
      MessageConsumer<JsonObject> c = gw.vertx.eventBus().consumer(Addresses.CHANGES_PREFIX + r, m -> EVENTS.add(m.body()));
      Http.await(c.completion());
    }
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  // ---- helpers ----

  static long ids(int n) {
    return NEXT_ID.getAndAdd(n);
  }

  static JsonObject lead(long id, String title) {
    return new JsonObject().put("id", id).put("title", title).put("status", "new").put("priority", 3);
  }

  static JsonArray leads(long first, int n, String title) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) a.add(lead(first + i, title + " " + i));
    return a;
  }

  static Http.Response bulk(String query, String key, JsonArray rows) {
    return http.send("POST", "/v1/leads/bulk" + (query == null ? "" : "?" + query), key, "application/json", rows.encode());
  }

  static Http.Response send(HttpRequest.Builder b) {
    return http.send(b.build());
  }

  static long count(String sql, Object... params) {
    return Http.await(gw.db.preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  static long leadsBetween(long from, long to) {
    return count("SELECT count(*) FROM leads WHERE id BETWEEN $1 AND $2", from, to);
  }

  static JsonObject error(Http.Response r) {
    return r.json().getJsonObject("error");
  }

  static JsonObject firstRow(Http.Response r) {
    return error(r).getJsonObject("details").getJsonArray("rows").getJsonObject(0);
  }

  static List<JsonObject> eventsFor(String resource, String op) {
    List<JsonObject> out = new ArrayList<>();
    for (JsonObject e : EVENTS) if (resource.equals(e.getString("resource")) && op.equals(e.getString("op"))) out.add(e);
    return out;
  }

  static void awaitEvent(String op, long id) {
    try {
      dev.sluice.support.Poll.until("a " + op + " event for lead " + id, 5000, () -> {
        for (JsonObject e : eventsFor("leads", op)) {
          JsonArray ids = e.getJsonArray("ids");
          if (ids != null && ids.contains(id)) return true;
        }
        return false;
      });
    } catch (AssertionError timedOut) {
      throw new AssertionError("no " + op + " event for lead " + id + " in " + EVENTS, timedOut);
    }
  }

  // ---- bulk insert ----

  @Test
  @DisplayName("a JSON array of 100 leads is one transaction; the tenant comes from the key; a read sees them at once")
  void bulkInsert() {
    long first = ids(100);
    assertEquals(404, http.get("/v1/leads/" + first, "demo-reader").status());
    Http.Response r = bulk(null, "demo-writer", leads(first, 100, "Bulk"));
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("inserted", 100).put("skipped", 0).put("updated", 0), r.json());
    assertEquals(100, count("SELECT count(*) FROM leads WHERE id BETWEEN $1 AND $2 AND org_id = 1", first, first + 99));
    // the 404 above may be cached: the change must reach the cache before the reply
    Http.Response read = http.get("/v1/leads/" + first, "demo-reader");
    assertEquals(200, read.status(), read.body());
    assertEquals("Bulk 0", read.json().getString("title"));
    awaitEvent("insert", first + 99);
    JsonObject event = eventsFor("leads", "insert").stream()
        .filter(e -> e.getJsonArray("ids") != null && e.getJsonArray("ids").contains(first)).findFirst().orElseThrow();
    assertEquals(1L, event.getLong("tenant"));
    assertEquals(100L, event.getLong("count"));
    assertNotNull(event.getString("at"));
  }

  @Test
  @DisplayName("rows without an id get the identity; omitted fields get their defaults; explicit null stays null")
  void defaultsAndIdentity() {
    JsonArray rows = new JsonArray()
        .add(new JsonObject().put("title", "No id, no status"))
        .add(new JsonObject().put("title", "With customer").put("customer_id", 1).put("priority", 5))
        .add(new JsonObject().put("title", "Null customer").put("customer_id", (Object) null));
    Http.Response r = bulk(null, "demo-writer", rows);
    assertEquals(200, r.status(), r.body());
    assertEquals(3, r.json().getInteger("inserted"));
    assertEquals(1, count("SELECT count(*) FROM leads WHERE title = 'No id, no status' AND status = 'new' AND priority = 3"));
    assertEquals(1, count("SELECT count(*) FROM leads WHERE title = 'With customer' AND customer_id = 1 AND priority = 5"));
    assertEquals(1, count("SELECT count(*) FROM leads WHERE title = 'Null customer' AND customer_id IS NULL"));
  }

  @Test
  @DisplayName("onConflict=error: an existing key is a 409 naming the row, and nothing is written")
  void conflictError() {
    long first = ids(10);
    assertEquals(200, bulk(null, "demo-writer", leads(first, 1, "Existing")).status());
    JsonArray rows = leads(first + 1, 5, "New");
    rows.add(lead(first, "Clash"));
    Http.Response r = bulk("onConflict=error", "demo-writer", rows);
    assertEquals(409, r.status(), r.body());
    assertEquals("conflict", error(r).getString("code"));
    assertEquals(5, firstRow(r).getInteger("index"));
    assertEquals("id", firstRow(r).getString("field"));
    assertEquals(1, leadsBetween(first, first + 9), "nothing of the refused request is written");
    assertFalse(r.body().toLowerCase().contains("insert"), "no SQL in errors");

    JsonArray twice = leads(first + 6, 2, "Twice");
    twice.add(lead(first + 6, "Again"));
    Http.Response repeat = bulk(null, "demo-writer", twice);
    assertEquals(409, repeat.status(), repeat.body());
    assertEquals(2, firstRow(repeat).getInteger("index"));
  }

  @Test
  @DisplayName("onConflict=skip counts the skipped rows exactly")
  void conflictSkip() {
    long first = ids(10);
    assertEquals(200, bulk(null, "demo-writer", leads(first, 3, "Existing")).status());
    Http.Response r = bulk("onConflict=skip", "demo-writer", leads(first, 8, "Skip"));
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("inserted", 5).put("skipped", 3).put("updated", 0), r.json());
    assertEquals(1, count("SELECT count(*) FROM leads WHERE id = $1 AND title = 'Existing 0'", first));
  }

  @Test
  @DisplayName("onConflict=update upserts on the primary key and counts inserted and updated rows exactly")
  void conflictUpdate() {
    long first = ids(10);
    assertEquals(200, bulk(null, "demo-writer", leads(first, 4, "Old")).status());
    JsonArray rows = new JsonArray();
    for (int i = 0; i < 6; i++) rows.add(new JsonObject().put("id", first + i).put("title", "Upserted " + i).put("priority", 5));
    Http.Response r = bulk("onConflict=update", "demo-writer", rows);
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("inserted", 2).put("skipped", 0).put("updated", 4), r.json());
    assertEquals(6, count("SELECT count(*) FROM leads WHERE id BETWEEN $1 AND $2 AND title LIKE 'Upserted %' AND priority = 5",
        first, first + 9));
    // a field the row leaves out is not touched by the update
    assertEquals(4, count("SELECT count(*) FROM leads WHERE id BETWEEN $1 AND $2 AND status = 'new'", first, first + 3));
    awaitEvent("update", first);
    awaitEvent("insert", first + 5);
  }

  @Test
  @DisplayName("an upsert never changes another tenant's row: 409, and nothing is written")
  void upsertOtherTenant() {
    // lead 2 belongs to tenant 2 (lead n belongs to 1 + (n-1) % 4)
    long first = ids(2);
    JsonArray rows = leads(first, 2, "Mine");
    rows.add(new JsonObject().put("id", 2).put("title", "Hijacked"));
    Http.Response r = bulk("onConflict=update", "demo-writer", rows);
    assertEquals(409, r.status(), r.body());
    assertEquals(2, firstRow(r).getInteger("index"));
    assertEquals(0, count("SELECT count(*) FROM leads WHERE title = 'Hijacked'"));
    assertEquals(0, leadsBetween(first, first + 1));
  }

  @Test
  @DisplayName("a row naming another tenant is a 403 and nothing is written; naming one's own tenant is fine")
  void tenancy() {
    long first = ids(3);
    JsonArray rows = leads(first, 2, "Tenant");
    rows.getJsonObject(0).put("org_id", 1);
    rows.add(lead(first + 2, "Other").put("org_id", 2));
    Http.Response r = bulk(null, "demo-writer", rows);
    assertEquals(403, r.status(), r.body());
    assertEquals("forbidden", error(r).getString("code"));
    assertEquals(2, firstRow(r).getInteger("index"));
    assertEquals("org_id", firstRow(r).getString("field"));
    assertEquals(0, leadsBetween(first, first + 2));
  }

  @Test
  @DisplayName("wrong types, unknown fields, nulls in non-null columns and missing required fields: 400 with every row, nothing written")
  void validation() {
    long first = ids(6);
    JsonArray rows = new JsonArray()
        .add(lead(first, "ok"))
        .add(lead(first + 1, "bad priority").put("priority", "high"))
        .add(lead(first + 2, "unknown").put("colour", "red"))
        .add(lead(first + 3, "null status").put("status", (Object) null))
        .add(new JsonObject().put("id", first + 4).put("priority", 2))
        .add("not an object");
    Http.Response r = bulk(null, "demo-writer", rows);
    assertEquals(400, r.status(), r.body());
    JsonObject e = error(r);
    assertEquals("validation", e.getString("code"));
    JsonArray errs = e.getJsonObject("details").getJsonArray("rows");
    assertEquals(5, errs.size(), errs.encode());
    assertEquals(new JsonObject().put("index", 1).put("field", "priority").put("reason", "expected a whole number"), errs.getJsonObject(0));
    assertEquals("colour", errs.getJsonObject(1).getString("field"));
    assertEquals("may not be null", errs.getJsonObject(2).getString("reason"));
    assertEquals(new JsonObject().put("index", 4).put("field", "title").put("reason", "is required"), errs.getJsonObject(3));
    assertEquals(5, errs.getJsonObject(4).getInteger("index"));
    assertTrue(e.getJsonObject("details").getJsonArray("allowed").contains("title"));
    assertEquals(0, leadsBetween(first, first + 5));
  }

  @Test
  @DisplayName("a row the database refuses (check, foreign key) aborts the request with the row's index")
  void databaseRefusal() {
    long first = ids(2000);
    JsonArray rows = leads(first, 1500, "Check");
    rows.getJsonObject(1234).put("priority", 9);
    Http.Response r = bulk(null, "demo-writer", rows);
    assertEquals(400, r.status(), r.body());
    assertEquals(1234, firstRow(r).getInteger("index"));
    assertEquals("priority", firstRow(r).getString("field"));
    assertEquals(0, leadsBetween(first, first + 1999), "the first chunk was written, then rolled back");

    JsonArray fk = leads(first, 30, "Foreign");
    fk.getJsonObject(17).put("customer_id", 99_999_999);
    Http.Response f = bulk(null, "demo-writer", fk);
    assertEquals(409, f.status(), f.body());
    assertEquals(17, firstRow(f).getInteger("index"));
    assertEquals("customer_id", firstRow(f).getString("field"));
    assertEquals(0, leadsBetween(first, first + 1999));
  }

  @Test
  @DisplayName("malformed JSON is a 400 naming the line; an NDJSON line that is not JSON is a 400 naming that line")
  void malformed() {
    Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/json",
        "[\n{\"title\": \"a\"},\n{\"title\": \"b\",,}\n]");
    assertEquals(400, r.status(), r.body());
    assertEquals(3, error(r).getJsonObject("details").getInteger("line"));
    assertTrue(error(r).getString("message").contains("line 3"), r.body());

    long first = ids(3);
    String ndjson = lead(first, "one").encode() + "\n" + lead(first + 1, "two").encode() + "\n{\"title\": oops}\n";
    Http.Response n = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", ndjson);
    assertEquals(400, n.status(), n.body());
    assertEquals(3L, error(n).getJsonObject("details").getLong("line"));
    assertTrue(error(n).getString("message").contains("Line 3"), n.body());
    assertEquals(0, leadsBetween(first, first + 2));
  }

  @Test
  @DisplayName("over the row limit is a 413 for arrays and NDJSON alike, and nothing is written")
  void limits() {
    long first = ids(6000);
    Http.Response r = bulk(null, "demo-writer", leads(first, 5001, "Too many"));
    assertEquals(413, r.status(), r.body());
    assertEquals("too_large", error(r).getString("code"));

    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 25_001; i++) sb.append("{\"title\":\"n").append(i).append("\"}\n");
    Http.Response n = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", sb.toString());
    assertEquals(413, n.status(), n.body());
    assertEquals(0, count("SELECT count(*) FROM leads WHERE title = 'n0'"));
  }

  @Test
  @DisplayName("an NDJSON upload over the byte limit, or with a line over the line limit, is a 413 and writes nothing")
  void streamLimits() {
    String title = "Padded " + ids(1);
    String line = "{\"title\": \"" + title + "\"" + " ".repeat(950) + "}\n";
    Http.Response big = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", line.repeat(3100));
    assertEquals(413, big.status(), big.body());
    assertEquals(0, count("SELECT count(*) FROM leads WHERE title = $1", title));

    String longLine = "{\"title\": \"" + title + "\"" + " ".repeat(5000) + "}\n";
    Http.Response tooLong = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson",
        line.repeat(10) + longLine + line);
    assertEquals(413, tooLong.status(), tooLong.body());
    assertEquals(11L, error(tooLong).getJsonObject("details").getLong("line"));
    assertEquals(0, count("SELECT count(*) FROM leads WHERE title = $1", title));
  }

  // ---- NDJSON ----

  @Test
  @DisplayName("NDJSON is streamed in chunks of one statement each; blank lines, CRLF and a missing last newline are fine")
  void ndjson() {
    long first = ids(20_000);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      sb.append(lead(first + i, "Streamed " + i).encode()).append(i % 1000 == 0 ? "\r\n" : "\n");
      if (i == 500) sb.append("\n");
    }
    sb.setLength(sb.length() - 1); // no final newline
    long before = insertStatements();
    Http.Response r = http.send("POST", "/v1/leads/bulk?onConflict=skip", "demo-writer", "application/x-ndjson", sb.toString());
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("inserted", 20_000).put("skipped", 0).put("updated", 0), r.json());
    assertEquals(20_000, leadsBetween(first, first + 19_999));
    long statements = insertStatements() - before;
    assertTrue(statements >= 20 && statements <= 21, "one statement per 1000-row chunk, got " + statements);
    Http.Response again = http.send("POST", "/v1/leads/bulk?onConflict=skip", "demo-writer", "application/x-ndjson", sb.toString());
    assertEquals(new JsonObject().put("inserted", 0).put("skipped", 20_000).put("updated", 0), again.json());
  }

  static long insertStatements() {
    return count("SELECT coalesce(sum(calls), 0)::int8 FROM pg_stat_statements WHERE dbid = "
        + "(SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE 'INSERT INTO leads AS t%'");
  }

  @Test
  @DisplayName("a row refused deep in an NDJSON stream names its line and index, and the earlier chunks are rolled back")
  void ndjsonRefusedRow() {
    long first = ids(5000);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      JsonObject l = lead(first + i, "Deep " + i);
      if (i == 4321) l.put("status", "archived");
      sb.append(l.encode()).append('\n');
    }
    Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", sb.toString());
    assertEquals(400, r.status(), r.body());
    assertEquals(4321, firstRow(r).getInteger("index"));
    assertEquals(4322L, firstRow(r).getLong("line"));
    assertEquals("status", firstRow(r).getString("field"));
    assertEquals(0, leadsBetween(first, first + 4999));
  }

  // ---- idempotency ----

  @Test
  @DisplayName("Idempotency-Key: a repeat returns the first response and writes nothing; another body is a 409")
  void idempotency() {
    long first = ids(10);
    String key = "import-" + first;
    HttpRequest.Builder b = http.builder("/v1/leads/bulk?onConflict=skip", "demo-writer").header("Idempotency-Key", key)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(leads(first, 5, "Idem").encode()));
    Http.Response one = send(b);
    assertEquals(200, one.status(), one.body());
    assertEquals(5, one.json().getInteger("inserted"));
    Http.Response two = send(b);
    assertEquals(200, two.status(), two.body());
    assertEquals(one.json(), two.json(), "the first response, although the rows now exist");
    assertEquals(5, leadsBetween(first, first + 9));

    Http.Response other = send(http.builder("/v1/leads/bulk?onConflict=skip", "demo-writer").header("Idempotency-Key", key)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(leads(first, 6, "Idem").encode())));
    assertEquals(409, other.status(), other.body());
    assertEquals(5, leadsBetween(first, first + 9));

    // keys are per tenant: the same key from another tenant is another request (rows naming
    // tenant 1 would be forbidden, so this is a different body under the same key)
    assertEquals(1, count("SELECT count(*) FROM sluice_idempotency WHERE tenant = 1 AND key = $1 AND expires_at > now() "
        + "+ interval '23 hours'", key));
  }

  @Test
  @DisplayName("Idempotency-Key: concurrent requests with one key write once and all get the same response")
  void idempotencyConcurrent() {
    long first = ids(10);
    String body = leads(first, 10, "Race").encode();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    var client = Http.newClient();
    for (int i = 0; i < 8; i++) {
      calls.add(client.sendAsync(http.builder("/v1/leads/bulk", "demo-writer").header("Idempotency-Key", "race-" + first)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> c : calls) {
      HttpResponse<String> r = c.join();
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(new JsonObject().put("inserted", 10).put("skipped", 0).put("updated", 0), new JsonObject(r.body()));
    }
    assertEquals(10, leadsBetween(first, first + 9));
  }

  @Test
  @DisplayName("Idempotency-Key on an NDJSON stream: a repeat is answered from the first response")
  void idempotencyStream() {
    long first = ids(3000);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 3000; i++) sb.append(lead(first + i, "IdemStream " + i).encode()).append('\n');
    HttpRequest.Builder b = http.builder("/v1/leads/bulk", "demo-writer").header("Idempotency-Key", "stream-" + first)
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(sb.toString()));
    Http.Response one = send(b);
    assertEquals(200, one.status(), one.body());
    Http.Response two = send(b);
    assertEquals(200, two.status(), two.body());
    assertEquals(one.json(), two.json());
    sb.append(lead(first + 3000, "extra").encode());
    Http.Response other = send(http.builder("/v1/leads/bulk", "demo-writer").header("Idempotency-Key", "stream-" + first)
        .header("Content-Type", "application/x-ndjson").POST(HttpRequest.BodyPublishers.ofString(sb.toString())));
    assertEquals(409, other.status(), other.body());
    assertEquals(3000, leadsBetween(first, first + 3000));
  }

  // ---- patch and delete ----

  @Test
  @DisplayName("PATCH with read filters updates the caller's rows only and returns the exact count; no filter is a 400")
  void patch() {
    long first = ids(20);
    assertEquals(200, bulk(null, "demo-writer", leads(first, 20, "Patch")).status());
    Http.Response r = http.send("PATCH", "/v1/leads?id=gte." + first + "&id=lt." + (first + 12), "demo-writer",
        "application/json", new JsonObject().put("status", "won").put("priority", 1).encode());
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("updated", 12), r.json());
    assertEquals(12, count("SELECT count(*) FROM leads WHERE id BETWEEN $1 AND $2 AND status = 'won' AND priority = 1",
        first, first + 19));
    awaitEvent("update", first + 11);

    // lead 2 is tenant 2's: filtering on it finds nothing for tenant 1
    Http.Response other = http.send("PATCH", "/v1/leads?id=eq.2", "demo-writer", "application/json",
        new JsonObject().put("title", "Not yours").encode());
    assertEquals(new JsonObject().put("updated", 0), other.json());

    Http.Response noFilter = http.send("PATCH", "/v1/leads", "demo-writer", "application/json",
        new JsonObject().put("status", "lost").encode());
    assertEquals(400, noFilter.status());
    Http.Response badValue = http.send("PATCH", "/v1/leads?id=eq." + first, "demo-writer", "application/json",
        new JsonObject().put("priority", 7).encode());
    assertEquals(400, badValue.status(), badValue.body());
    assertEquals("priority", error(badValue).getJsonObject("details").getString("field"));
    Http.Response moveTenant = http.send("PATCH", "/v1/leads?id=eq." + first, "demo-writer", "application/json",
        new JsonObject().put("org_id", 2).encode());
    assertEquals(403, moveTenant.status(), moveTenant.body());
    Http.Response unknownFilter = http.send("PATCH", "/v1/leads?colour=eq.red", "demo-writer", "application/json",
        new JsonObject().put("status", "lost").encode());
    assertEquals(400, unknownFilter.status());
    assertEquals(403, http.send("PATCH", "/v1/leads?id=eq." + first, "demo-reader", "application/json", "{\"status\":\"won\"}").status());
  }

  @Test
  @DisplayName("DELETE with read filters deletes the caller's rows only and returns the exact count; no filter is a 400")
  void delete() {
    long first = ids(10);
    assertEquals(200, bulk(null, "demo-writer", leads(first, 10, "Delete")).status());
    Http.Response r = http.send("DELETE", "/v1/leads?id=in.(" + first + "," + (first + 1) + "," + (first + 2) + ",2)",
        "demo-writer", null, null);
    assertEquals(200, r.status(), r.body());
    assertEquals(new JsonObject().put("deleted", 3), r.json());
    assertEquals(7, leadsBetween(first, first + 9));
    assertEquals(1, count("SELECT count(*) FROM leads WHERE id = 2"), "another tenant's row is untouched");
    awaitEvent("delete", first + 2);
    assertEquals(400, http.send("DELETE", "/v1/leads", "demo-writer", null, null).status());
    // a customer that leads still refer to cannot be deleted: 409, nothing deleted
    Http.Response referenced = http.send("DELETE", "/v1/customers?id=eq.1", "demo-writer", null, null);
    assertEquals(409, referenced.status(), referenced.body());
  }

  // ---- batch ----

  @Test
  @DisplayName("POST /v1/batch runs bulk, patch and delete across resources in one transaction")
  void batch() {
    long first = ids(10);
    long customer = ids(1);
    JsonObject body = new JsonObject().put("operations", new JsonArray()
        .add(new JsonObject().put("op", "bulk").put("resource", "customers")
            .put("rows", new JsonArray().add(new JsonObject().put("id", customer).put("name", "Batch Customer"))))
        .add(new JsonObject().put("op", "bulk").put("resource", "leads").put("rows", leads(first, 5, "Batch")))
        .add(new JsonObject().put("op", "patch").put("resource", "leads")
            .put("filter", "id=gte." + first + "&id=lte." + (first + 1)).put("set", new JsonObject().put("customer_id", customer)))
        .add(new JsonObject().put("op", "delete").put("resource", "leads").put("filter", new JsonObject().put("id", "eq." + (first + 4)))));
    Http.Response r = http.send("POST", "/v1/batch", "demo-writer", "application/json", body.encode());
    assertEquals(200, r.status(), r.body());
    JsonArray results = r.json().getJsonArray("results");
    assertEquals(new JsonObject().put("inserted", 1).put("skipped", 0).put("updated", 0), results.getJsonObject(0));
    assertEquals(5, results.getJsonObject(1).getInteger("inserted"));
    assertEquals(new JsonObject().put("updated", 2), results.getJsonObject(2));
    assertEquals(new JsonObject().put("deleted", 1), results.getJsonObject(3));
    assertEquals(2, count("SELECT count(*) FROM leads WHERE customer_id = $1", customer));
    assertEquals(4, leadsBetween(first, first + 9));
  }

  @Test
  @DisplayName("a failing operation rolls the whole batch back, and the error names the operation")
  void batchAllOrNothing() {
    long first = ids(10);
    int eventsBefore = EVENTS.size();
    JsonObject body = new JsonObject().put("operations", new JsonArray()
        .add(new JsonObject().put("op", "bulk").put("resource", "leads").put("rows", leads(first, 5, "Atomic")))
        .add(new JsonObject().put("op", "patch").put("resource", "leads").put("filter", "id=eq." + first)
            .put("set", new JsonObject().put("customer_id", 99_999_999))));
    Http.Response r = http.send("POST", "/v1/batch", "demo-writer", "application/json", body.encode());
    assertEquals(409, r.status(), r.body());
    assertEquals(1, error(r).getJsonObject("details").getInteger("operation"));
    assertEquals(0, leadsBetween(first, first + 9));
    // A committed write after it: once its event is here, anything published before it is too.
    long marker = ids(1);
    assertEquals(200, http.send("POST", "/v1/leads/bulk", "demo-writer", "application/json",
        leads(marker, 1, "After the rollback").encode()).status());
    awaitEvent("insert", marker);
    for (int i = eventsBefore; i < EVENTS.size(); i++) {
      JsonArray ids = EVENTS.get(i).getJsonArray("ids");
      assertTrue(ids == null || !ids.contains(first), "no change event for a rolled-back batch");
    }

    Http.Response invalid = http.send("POST", "/v1/batch", "demo-writer", "application/json", new JsonObject()
        .put("operations", new JsonArray().add(new JsonObject().put("op", "delete").put("resource", "leads"))).encode());
    assertEquals(400, invalid.status());
    assertEquals(0, error(invalid).getJsonObject("details").getInteger("operation"));
  }

  // ---- the event bus ----

  @Test
  @DisplayName("the same operations answer JSON event-bus consumers, and fail with the HTTP status")
  void eventBus() {
    long first = ids(5);
    JsonObject reply = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.BULK, new JsonObject()
        .put("resource", "leads").put("tenant", 1).put("onConflict", "skip").put("body", leads(first, 3, "Bus")))).body();
    assertEquals(3, reply.getInteger("inserted"));
    JsonObject patched = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.PATCH, new JsonObject()
        .put("resource", "leads").put("apiKey", "demo-writer").put("id", "in.(" + first + "," + (first + 1) + ")")
        .put("body", new JsonObject().put("status", "lost")))).body();
    assertEquals(2, patched.getInteger("updated"));
    JsonObject deleted = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.DELETE, new JsonObject()
        .put("resource", "leads").put("tenant", 1).put("id", "eq." + first))).body();
    assertEquals(1, deleted.getInteger("deleted"));
    JsonObject batch = Http.await(gw.vertx.eventBus().<JsonObject>request(Addresses.BATCH, new JsonObject().put("tenant", 1)
        .put("body", new JsonObject().put("operations", new JsonArray().add(new JsonObject().put("op", "delete")
            .put("resource", "leads").put("filter", "id=eq." + (first + 1))))))).body();
    assertEquals(1, batch.getJsonArray("results").getJsonObject(0).getInteger("deleted"));

    Throwable t = Http.awaitFailure(gw.vertx.eventBus().request(Addresses.DELETE, new JsonObject()
        .put("resource", "leads").put("tenant", 1)));
    assertEquals(400, ((ReplyException) t).failureCode());
  }

  // ---- vectors ----

  @Test
  @DisplayName("vector columns: arrays of the catalog's dimensions are written; wrong length or non-finite values are a 400")
  void vectors() {
    long id = ids(3);
    JsonArray v = new JsonArray();
    for (int i = 0; i < 384; i++) v.add(i % 7 == 0 ? 0.25 : -0.125);
    JsonObject doc = new JsonObject().put("id", id).put("package", "sluice").put("section", "test").put("text", "Vectors")
        .put("embedding", v);
    // documents are shared: admin keys write them (resources.documents.writeRole)
    Http.Response ok = http.send("POST", "/v1/documents/bulk", "demo-admin", "application/json", new JsonArray().add(doc).encode());
    assertEquals(200, ok.status(), ok.body());
    assertEquals(1, count("SELECT count(*) FROM documents WHERE id = $1 AND vector_dims(embedding) = 384 "
        + "AND subvector(embedding, 1, 1)::text = '[0.25]'", id));

    JsonObject shortVec = doc.copy().put("id", id + 1).put("embedding", new JsonArray().add(1.0).add(2.0));
    JsonObject huge = doc.copy().put("id", id + 2).put("embedding", v.copy().set(3, 1e39));
    Http.Response bad = http.send("POST", "/v1/documents/bulk", "demo-admin", "application/json",
        new JsonArray().add(shortVec).add(huge).encode());
    assertEquals(400, bad.status(), bad.body());
    JsonArray rows = error(bad).getJsonObject("details").getJsonArray("rows");
    assertEquals("must have 384 dimensions, not 2", rows.getJsonObject(0).getString("reason"));
    assertEquals("element 3 is not finite", rows.getJsonObject(1).getString("reason"));
  }
}
