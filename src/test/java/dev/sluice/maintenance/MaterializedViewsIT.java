package dev.sluice.maintenance;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.MaterializedView;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.WritePolicy;
import dev.sluice.config.ConfigException;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Materialized views: read like tables, tenant-scoped, refreshed by admins and on schedule, cache keyed by refresh")
class MaterializedViewsIT {
  static TestGateway gw;
  static Http http;

  /** Only admins refresh here, so each test knows exactly when the view changes. */
  static JsonObject overrides() {
    return new JsonObject().put("resources", new JsonObject().put("lead_stats_daily",
        new JsonObject().put("materializedView", new JsonObject().put("refreshSeconds", 0))))
        .put("maintenance", new JsonObject().put("intervalSeconds", 86_400));
  }

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("views", overrides(), List.of()));
    http = new Http(gw.port);
    Http.Response r = http.send("POST", "/admin/refresh/lead_stats_daily", "demo-admin", null, null);
    assertEquals(200, r.status(), r.body());
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static long leadsOf(long org) {
    return Http.await(gw.db.query("SELECT count(*) FROM leads WHERE org_id = " + org).execute()).iterator().next().getLong(0);
  }

  static JsonObject ok(String path, String key) {
    Http.Response r = http.get(path, key);
    assertEquals(200, r.status(), path + " -> " + r.body());
    return r.json();
  }

  static long sumOfLeads(String key) {
    long sum = 0;
    String next = null;
    do {
      JsonObject page = ok("/v1/lead_stats_daily?order=day.desc&limit=100"
          + (next == null ? "" : "&after=" + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8)), key);
      for (Object o : page.getJsonArray("data")) sum += ((JsonObject) o).getLong("leads");
      next = page.getString("next");
    } while (next != null);
    return sum;
  }

  @Test
  @DisplayName("a tenant reads only its own rows of the view: pages, filters, point reads")
  void tenantScopedReads() {
    assertEquals(leadsOf(1), sumOfLeads("demo-reader"));
    assertEquals(leadsOf(2), sumOfLeads("demo-reader-2"));
    JsonArray mine = ok("/v1/lead_stats_daily?status=eq.new&limit=1000", "demo-reader").getJsonArray("data");
    assertFalse(mine.isEmpty());
    for (Object o : mine) {
      assertEquals(1L, ((JsonObject) o).getLong("org_id"));
      assertEquals("new", ((JsonObject) o).getString("status"));
    }
    JsonArray theirs = ok("/v1/lead_stats_daily?limit=1000", "demo-reader-2").getJsonArray("data");
    for (Object o : theirs) assertEquals(2L, ((JsonObject) o).getLong("org_id"));

    String id = mine.getJsonObject(0).getString("id");
    JsonObject row = ok("/v1/lead_stats_daily/" + id, "demo-reader");
    assertEquals(1L, row.getLong("org_id"));
    // The same key names tenant 2's row of that day and status, or nothing: never tenant 1's.
    Http.Response other = http.get("/v1/lead_stats_daily/" + id, "demo-reader-2");
    if (other.status() == 200) assertEquals(2L, other.json().getLong("org_id"));
    else assertEquals(404, other.status(), other.body());

    JsonObject counted = ok("/v1/lead_stats_daily?page=1&limit=5&count=exact", "demo-reader");
    assertTrue(counted.getLong("total") >= mine.size());
  }

  @Test
  @DisplayName("a refresh, and only a refresh, makes cached reads of the view show new data")
  void cacheFollowsRefreshGeneration() {
    String path = "/v1/lead_stats_daily?day=eq.2001-02-03";
    assertEquals(0, ok(path, "demo-reader").getJsonArray("data").size());
    assertEquals("hit", http.get(path, "demo-reader").header("X-Cache"));
    Http.await(gw.db.query("INSERT INTO leads (org_id, title, status, created_at) "
        + "VALUES (1, 'old lead', 'won', '2001-02-03 10:00:00+00')").execute());
    // The view has not changed yet: the cached page is still the truth.
    Http.Response before = http.get(path, "demo-reader");
    assertEquals("hit", before.header("X-Cache"));
    assertEquals(0, before.json().getJsonArray("data").size());

    Http.Response refreshed = http.send("POST", "/admin/refresh/lead_stats_daily", "demo-admin", null, null);
    assertEquals(200, refreshed.status(), refreshed.body());
    assertTrue(refreshed.json().getBoolean("refreshed"));
    assertTrue(refreshed.json().getLong("generation") >= 2);

    Http.Response after = http.get(path, "demo-reader");
    assertEquals("miss", after.header("X-Cache"));
    JsonArray rows = after.json().getJsonArray("data");
    assertEquals(1, rows.size());
    assertEquals("2001-02-03.won", rows.getJsonObject(0).getString("id"));
    assertEquals(1L, rows.getJsonObject(0).getLong("leads"));
    // tenant 2 has no lead that day, before or after
    assertEquals(0, ok(path, "demo-reader-2").getJsonArray("data").size());
  }

  @Test
  @DisplayName("a refresh on one gateway makes another gateway's cached reads of the view, and only of the view, miss")
  void refreshReachesEveryGateway() {
    // Not clustered with gw, so no broadcast reaches it: it checks Redis on every hit (l1MaxAgeMs 0) to be exact.
    TestGateway other = Http.await(TestGateway.attach(gw, "views-b",
        overrides().put("cache", new JsonObject().put("l1MaxAgeMs", 0))));
    try {
      Http b = new Http(other.port);
      String view = "/v1/lead_stats_daily?day=eq.2002-03-04";
      String leads = "/v1/leads?limit=3";
      assertEquals(0, b.get(view, "demo-reader").json().getJsonArray("data").size());
      b.get(leads, "demo-reader");
      assertEquals("hit", b.get(view, "demo-reader").header("X-Cache"));
      assertEquals("hit", b.get(leads, "demo-reader").header("X-Cache"));
      // straight into the table: the gateways' caches hear nothing of it
      Http.await(gw.db.query("INSERT INTO leads (org_id, title, status, created_at) "
          + "VALUES (1, 'older lead', 'lost', '2002-03-04 10:00:00+00')").execute());
      assertEquals(200, http.send("POST", "/admin/refresh/lead_stats_daily", "demo-admin", null, null).status());

      Http.Response after = b.get(view, "demo-reader");
      assertEquals("miss", after.header("X-Cache"));
      assertEquals(1, after.json().getJsonArray("data").size());
      assertEquals("hit", b.get(leads, "demo-reader").header("X-Cache"), "a refresh leaves other resources' values alone");
    } finally {
      Http.await(other.close());
    }
  }

  @Test
  @DisplayName("the view is read-only: bulk, PATCH and DELETE are refused with 405, and nothing changes")
  void notWritable() {
    assertEquals(405, http.send("POST", "/v1/lead_stats_daily/bulk", "demo-writer", "application/json",
        "[{\"id\": \"x\", \"day\": \"2020-01-01\", \"status\": \"new\", \"leads\": 1}]").status());
    Http.Response patch = http.send("PATCH", "/v1/lead_stats_daily?status=eq.new", "demo-writer", "application/json",
        "{\"leads\": 0}");
    assertEquals(405, patch.status());
    assertEquals("read_only", patch.json().getJsonObject("error").getString("code"));
    assertEquals(405, http.send("DELETE", "/v1/lead_stats_daily?status=eq.new", "demo-writer", null, null).status());
  }

  @Test
  @DisplayName("refreshes are for admins, of materialized views only")
  void refreshRequests() {
    assertEquals(403, http.send("POST", "/admin/refresh/lead_stats_daily", "demo-writer", null, null).status());
    assertEquals(400, http.send("POST", "/admin/refresh/leads", "demo-admin", null, null).status());
    assertEquals(404, http.send("POST", "/admin/refresh/nothing", "demo-admin", null, null).status());
  }

  @Test
  @DisplayName("while another gateway holds the view's advisory lock, a refresh is refused with 409 and runs after")
  void oneRefreshAtATime() {
    SqlConnection other = Http.await(gw.db.getConnection());
    try {
      Http.await(other.query("SELECT pg_advisory_lock(hashtextextended('sluice:refresh:lead_stats_daily', 0))").execute());
      Http.Response busy = http.send("POST", "/admin/refresh/lead_stats_daily", "demo-admin", null, null);
      assertEquals(409, busy.status(), busy.body());
      Http.await(other.query("SELECT pg_advisory_unlock_all()").execute());
    } finally {
      Http.await(other.close());
    }
    assertEquals(200, http.send("POST", "/admin/refresh/lead_stats_daily", "demo-admin", null, null).status());
  }

  @Test
  @DisplayName("a scheduled refresh skips a view refreshed less than refreshSeconds ago, and runs once it is due")
  void dueCheck() {
    Resource view = view("lead_stats_daily", 3600);
    ViewRefresher refresher = new ViewRefresher(gw.db);
    assertTrue(Http.await(refresher.refresh(view, true)).ran());
    ViewRefresher.Outcome skipped = Http.await(refresher.refresh(view, false));
    assertFalse(skipped.ran());
    assertFalse(skipped.busy());
    Http.await(gw.db.query("UPDATE sluice_view_refreshes SET refreshed_at = now() - interval '2 hours' "
        + "WHERE resource = 'lead_stats_daily'").execute());
    assertTrue(Http.await(refresher.refresh(view, false)).ran());
  }

  @Test
  @DisplayName("refresh duration, age and generation are Prometheus metrics; /admin/maintenance shows them")
  void metrics() {
    String text = http.get("/metrics", null).body();
    assertTrue(text.contains("sluice_view_refresh_seconds_count{resource=\"lead_stats_daily\"}"), text);
    assertTrue(text.contains("sluice_view_age_seconds{resource=\"lead_stats_daily\"}"));
    assertTrue(text.contains("sluice_view_generation{resource=\"lead_stats_daily\"}"));
    JsonObject status = ok("/admin/maintenance", "demo-admin");
    JsonObject v = status.getJsonArray("views").getJsonObject(0);
    assertEquals("lead_stats_daily", v.getString("resource"));
    assertTrue(v.getLong("generation") >= 1);
    assertNotNull(v.getString("refreshedAt"));
  }

  @Test
  @DisplayName("the start check refuses a materialized view without a unique index, and an undeclared one")
  void startCheck() {
    Http.await(gw.db.query("CREATE MATERIALIZED VIEW no_key_view AS SELECT 1::bigint AS id, 1::bigint AS org_id").execute());
    Resource bad = view("no_key_view", 60);
    Throwable err = Http.awaitFailure(StorageCheck.verify(gw.db, new Catalog(Map.of("no_key_view", bad))));
    assertTrue(err instanceof ConfigException, String.valueOf(err));
    assertTrue(err.getMessage().contains("unique index"), err.getMessage());

    Resource undeclared = new Resource("no_key_view", "no_key_view", "id", ColumnType.INT8, "org_id",
        Map.of("id", ColumnType.INT8), List.of("id"), List.of(), Map.of(), List.of(), Map.of(), 0, 10);
    err = Http.awaitFailure(StorageCheck.verify(gw.db, new Catalog(Map.of("no_key_view", undeclared))));
    assertTrue(err.getMessage().contains("is a materialized view"), err.getMessage());
  }

  private static Resource view(String table, int refreshSeconds) {
    return new Resource(table, table, "id", ColumnType.TEXT, "org_id", Map.of("id", ColumnType.TEXT), List.of("id"),
        List.of(), Map.of(), List.of(), Map.of(), 0, 10, new MaterializedView(refreshSeconds), null,
        WritePolicy.defaultFor("org_id"));
  }
}
