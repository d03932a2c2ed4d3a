package dev.sluice.maintenance;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Partitioning;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.WritePolicy;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Time partitions: kept ahead and retired by the gateway, read and written like any resource, pruned by keyset order")
class PartitionsIT {
  static TestGateway gw;
  static Http http;
  static final LocalDate TODAY = LocalDate.now(ZoneOffset.UTC);

  @BeforeAll
  static void start() {
    // The scheduled pass stays out of the way: the tests run their passes themselves.
    JsonObject overrides = new JsonObject().put("maintenance", new JsonObject().put("intervalSeconds", 86_400));
    gw = Http.await(TestGateway.start("partitions", overrides, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static Set<String> partitions() {
    Set<String> out = new HashSet<>();
    for (Row r : Http.await(gw.db.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        + "WHERE i.inhparent = 'events'::regclass").execute())) out.add(r.getString(0));
    return out;
  }

  static String part(LocalDate day) {
    return Partitioning.partitionName("events", day);
  }

  /** A partition as the gateway would name it, made by hand (e.g. older than the retention). */
  static void createDayPartition(LocalDate day) {
    Http.await(gw.db.query("CREATE TABLE " + part(day) + " PARTITION OF events FOR VALUES FROM ('" + day
        + " 00:00+00') TO ('" + day.plusDays(1) + " 00:00+00')").execute());
  }

  static long tablesNamed(String name) {
    return Http.await(gw.db.preparedQuery("SELECT count(*) FROM pg_class WHERE relname = $1")
        .execute(io.vertx.sqlclient.Tuple.of(name))).iterator().next().getLong(0);
  }

  @Test
  @DisplayName("at start the gateway has made today's partition and 7 ahead, and a pass adds none twice")
  void partitionsAhead() {
    Set<String> parts = partitions();
    for (int i = 0; i <= 7; i++) assertTrue(parts.contains(part(TODAY.plusDays(i))), parts + " lacks day +" + i);
    Http.Response pass = http.send("POST", "/admin/partitions/events", "demo-admin", null, null);
    assertEquals(200, pass.status(), pass.body());
    assertEquals(0, pass.json().getJsonArray("created").size());
    JsonObject status = http.get("/admin/maintenance", "demo-admin").json();
    JsonObject events = status.getJsonArray("partitioned").getJsonObject(0);
    assertEquals("events", events.getString("resource"));
    assertTrue(events.getJsonArray("partitions").size() >= 8);
    String metrics = http.get("/metrics", null).body();
    assertTrue(metrics.contains("sluice_partitions{resource=\"events\"}"), metrics);
    assertTrue(metrics.contains("sluice_partition_creations_total{resource=\"events\"} 8"), metrics);
  }

  @Test
  @DisplayName("partitions past retention are dropped, hand-made ones are left alone, and a held lock makes the pass wait")
  void retention() {
    LocalDate old = TODAY.minusDays(120);
    createDayPartition(old);
    Http.await(gw.db.query("CREATE TABLE events_archive_by_hand PARTITION OF events FOR VALUES FROM ('2000-01-01 00:00+00') "
        + "TO ('2000-02-01 00:00+00')").execute());

    SqlConnection other = Http.await(gw.db.getConnection());
    try {
      Http.await(other.query("SELECT pg_advisory_lock(hashtextextended('sluice:partitions:events', 0))").execute());
      assertEquals(409, http.send("POST", "/admin/partitions/events", "demo-admin", null, null).status());
      assertTrue(partitions().contains(part(old)));
      Http.await(other.query("SELECT pg_advisory_unlock_all()").execute());
    } finally {
      Http.await(other.close());
    }

    Http.Response pass = http.send("POST", "/admin/partitions/events", "demo-admin", null, null);
    assertEquals(200, pass.status(), pass.body());
    assertEquals(new JsonArray().add(part(old)), pass.json().getJsonArray("retired"));
    Set<String> parts = partitions();
    assertFalse(parts.contains(part(old)));
    assertTrue(parts.contains("events_archive_by_hand"));
    long tables = tablesNamed(part(old));
    assertEquals(0, tables, "retire: drop removes the table");
  }

  @Test
  @DisplayName("two gateways keeping the same table at once: one does the pass, the other waits its turn, nothing twice")
  void twoGateways() {
    TestGateway other = Http.await(TestGateway.attach(gw, "partitions-b",
        new JsonObject().put("maintenance", new JsonObject().put("intervalSeconds", 86_400))));
    try {
      LocalDate old = TODAY.minusDays(150);
      createDayPartition(old);
      java.util.concurrent.CompletableFuture<Http.Response> a = java.util.concurrent.CompletableFuture.supplyAsync(
          () -> http.send("POST", "/admin/partitions/events", "demo-admin", null, null));
      Http.Response b = new Http(other.port).send("POST", "/admin/partitions/events", "demo-admin", null, null);
      List<Http.Response> both = List.of(a.join(), b);
      int retired = 0;
      for (Http.Response r : both) {
        assertTrue(r.status() == 200 || r.status() == 409, r.body());
        if (r.status() == 200) retired += r.json().getJsonArray("retired").size();
      }
      assertEquals(1, retired, "the old partition is retired exactly once");
      assertFalse(partitions().contains(part(old)));
    } finally {
      Http.await(other.close());
    }
  }

  @Test
  @DisplayName("retire: detach keeps the old partition as a plain table, outside the partitioned one")
  void detach() {
    LocalDate old = TODAY.minusDays(200);
    createDayPartition(old);
    Resource detaching = new Resource("events", "events", "id", ColumnType.INT8, "org_id", Map.of("id", ColumnType.INT8),
        List.of("id"), List.of(), Map.of(), List.of(), Map.of(), 0, 10, null,
        new Partitioning("occurred_at", Partitioning.Interval.DAY, 7, 90, Partitioning.Retire.DETACH),
        WritePolicy.defaultFor("org_id"));
    PartitionKeeper.Outcome o = Http.await(new PartitionKeeper(gw.db).keep(detaching));
    assertTrue(o.retired().contains(part(old)), o.toJson().encode());
    assertFalse(partitions().contains(part(old)));
    long tables = tablesNamed(part(old));
    assertEquals(1, tables);
  }

  @Test
  @DisplayName("bulk insert, point read, PATCH and DELETE work on the partitioned table, scoped to the tenant")
  void readsAndWrites() {
    String at = TODAY + "T09:30:00Z";
    Http.Response bulk = http.send("POST", "/v1/events/bulk", "demo-writer", "application/json",
        "[{\"kind\": \"call\", \"lead_id\": 1, \"occurred_at\": \"" + at + "\"}, {\"kind\": \"mail\", \"detail\": \"sent\"}]");
    assertEquals(200, bulk.status(), bulk.body());
    assertEquals(2, bulk.json().getInteger("inserted"));
    Http.await(gw.db.query("INSERT INTO events (org_id, kind, occurred_at) VALUES (2, 'secret', '" + at + "')").execute());
    long theirs = Http.await(gw.db.query("SELECT id FROM events WHERE org_id = 2").execute()).iterator().next().getLong(0);

    JsonArray mine = http.get("/v1/events?kind=eq.call", "demo-reader").json().getJsonArray("data");
    assertEquals(1, mine.size());
    long id = mine.getJsonObject(0).getLong("id");
    assertEquals("call", http.get("/v1/events/" + id, "demo-reader").json().getString("kind"));
    assertEquals(404, http.get("/v1/events/" + id, "demo-reader-2").status());
    assertEquals(404, http.get("/v1/events/" + theirs, "demo-reader").status());
    for (Object o : http.get("/v1/events?limit=1000", "demo-reader").json().getJsonArray("data")) {
      assertEquals(1L, ((JsonObject) o).getLong("org_id"));
    }

    Http.Response patch = http.send("PATCH", "/v1/events?id=eq." + id, "demo-writer", "application/json",
        "{\"detail\": \"called back\"}");
    assertEquals(1, patch.json().getInteger("updated"), patch.body());
    assertEquals("called back", http.get("/v1/events/" + id, "demo-reader").json().getString("detail"));
    // tenant 1's filter never reaches tenant 2's row
    assertEquals(0, http.send("PATCH", "/v1/events?id=eq." + theirs, "demo-writer", "application/json",
        "{\"detail\": \"x\"}").json().getInteger("updated"));

    Http.Response skip = http.send("POST", "/v1/events/bulk?onConflict=skip", "demo-writer", "application/json",
        "[{\"kind\": \"visit\", \"occurred_at\": \"" + at + "\"}]");
    assertEquals(1, skip.json().getInteger("inserted"), skip.body());

    // Ids come from the identity only (unique across partitions), and rows outside every partition are a 400.
    assertEquals(400, http.send("POST", "/v1/events/bulk", "demo-writer", "application/json",
        "[{\"id\": 5, \"kind\": \"call\"}]").status());
    assertEquals(400, http.send("POST", "/v1/events/bulk", "demo-writer", "application/json",
        "[{\"kind\": \"call\", \"occurred_at\": \"1999-01-01T00:00:00Z\"}]").status());

    Http.Response delete = http.send("DELETE", "/v1/events?kind=eq.call", "demo-writer", null, null);
    assertEquals(1, delete.json().getInteger("deleted"), delete.body());
    assertEquals(404, http.get("/v1/events/" + id, "demo-reader").status());
    assertEquals(1L, Http.await(gw.db.query("SELECT count(*) FROM events WHERE org_id = 2 AND kind = 'secret'").execute())
        .iterator().next().getLong(0));
  }

  @Test
  @DisplayName("a keyset page after a cursor on occurred_at scans only the partition it needs (EXPLAIN ANALYZE)")
  void keysetPrunes() {
    // 500 events per tenant and day, in four future days (their partitions exist: created ahead)
    Http.await(gw.db.query("INSERT INTO events (org_id, kind, occurred_at) SELECT 1 + i % 4, 'load', "
        + "'" + TODAY.plusDays(1) + " 00:00+00'::timestamptz + ((i / 4) % 4) * interval '1 day' + (i / 16) * interval '1 second' "
        + "FROM generate_series(0, 7999) i").execute());
    Http.await(gw.db.query("ANALYZE events").execute());
    String order = "kind=eq.load&order=occurred_at.desc&limit=5";
    JsonObject first = http.get("/v1/events?" + order, "demo-reader").json();
    String next = first.getString("next");
    LocalDate newest = TODAY.plusDays(4);
    assertTrue(first.getJsonArray("data").getJsonObject(0).getString("occurred_at").startsWith(newest.toString()),
        first.encode());

    JsonObject explained = http.get("/admin/explain/events?" + order + "&after=" + URLEncoder.encode(next, StandardCharsets.UTF_8)
        + "&analyze=true", "demo-admin").json();
    JsonObject plan = explained.getJsonArray("plan").getJsonObject(0).getJsonObject("Plan");
    List<String> scanned = new ArrayList<>();
    List<String> listed = new ArrayList<>();
    walk(plan, scanned, listed);
    assertEquals(List.of(part(newest)), scanned, "scanned partitions; plan: " + plan.encode());
    // Newer partitions are pruned (at planning, or at executor start for a generic plan): never opened.
    for (int i = 5; i <= 7; i++) assertFalse(scanned.contains(part(TODAY.plusDays(i))));
    assertTrue(listed.size() < partitions().size(), "partitions pruned from the plan: " + listed);
  }

  /** Relations of the plan's scans: those that ran (loops > 0) and all that the plan lists. */
  private static void walk(JsonObject node, List<String> scanned, List<String> listed) {
    String rel = node.getString("Relation Name");
    if (rel != null) {
      listed.add(rel);
      if (node.getLong("Actual Loops", 0L) > 0 && !scanned.contains(rel)) scanned.add(rel);
    }
    JsonArray children = node.getJsonArray("Plans");
    if (children != null) for (Object c : children) walk((JsonObject) c, scanned, listed);
  }
}
