package dev.sluice.data;

import dev.sluice.config.SluiceConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Connect options: session settings directly, none behind PgBouncer")
class DatabaseOptionsTest {
  static SluiceConfig.Pg pg(boolean pgbouncer) {
    JsonObject p = new JsonObject().put("url", "postgresql://postgres@127.0.0.1:56432/sluice");
    if (pgbouncer) p.put("pgbouncer", true).put("directUrl", "postgresql://postgres@127.0.0.1:55432/sluice");
    return SluiceConfig.from(new JsonObject().put("pg", p)
        .put("redis", new JsonObject().put("url", "redis://127.0.0.1:56379"))
        .put("resources", new JsonObject().put("leads", new JsonObject()
            .put("fields", new JsonArray().add("id"))))).pg();
  }

  @Test
  @DisplayName("directly: statement_timeout at connect, named and cached statements, pipelining")
  void direct() {
    PgConnectOptions o = Database.connectOptions(pg(false));
    assertEquals("5000", o.getProperties().get("statement_timeout"));
    assertTrue(o.getCachePreparedStatements());
    assertFalse(o.getUseLayer7Proxy());
    assertEquals(256, o.getPipeliningLimit());
  }

  @Test
  @DisplayName("behind PgBouncer: only tracked settings, unnamed statements, one in flight; the direct URL keeps its session")
  void behindPgBouncer() {
    SluiceConfig.Pg pg = pg(true);
    PgConnectOptions o = Database.connectOptions(pg);
    assertNull(o.getProperties().get("statement_timeout"));
    assertEquals("UTC", o.getProperties().get("TimeZone"));
    assertTrue(o.getUseLayer7Proxy());
    assertFalse(o.getCachePreparedStatements());
    assertEquals(1, o.getPipeliningLimit());
    PgConnectOptions direct = Database.connectOptions(pg, Database.directUrl(pg), 0);
    assertEquals(55432, direct.getPort());
    assertEquals("0", direct.getProperties().get("statement_timeout"));
    assertFalse(direct.getUseLayer7Proxy());
  }

  @Test
  @DisplayName("reads: generic plans for points always, for pages as configured; none behind PgBouncer (no session setting at connect)")
  void planCacheMode() {
    SluiceConfig.Pg direct = pg(false);
    assertEquals(SluiceConfig.PlanCacheMode.FORCE_GENERIC_PLAN, direct.pagePlanCacheMode());
    assertEquals("force_generic_plan",
        Database.readConnectOptions(direct, direct.url(), SluiceConfig.PlanCacheMode.FORCE_GENERIC_PLAN).getProperties().get("plan_cache_mode"));
    assertEquals("auto", Database.readConnectOptions(direct, direct.url(), SluiceConfig.PlanCacheMode.AUTO).getProperties().get("plan_cache_mode"));
    assertNull(Database.connectOptions(direct).getProperties().get("plan_cache_mode"), "writes and maintenance keep the server's");
    SluiceConfig.Pg bouncer = pg(true);
    assertNull(Database.readConnectOptions(bouncer, bouncer.url(), SluiceConfig.PlanCacheMode.FORCE_GENERIC_PLAN)
        .getProperties().get("plan_cache_mode"));
  }
}
