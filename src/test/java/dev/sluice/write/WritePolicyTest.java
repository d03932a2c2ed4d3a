package dev.sluice.write;

import dev.sluice.auth.Role;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.SchemaSnapshot;
import dev.sluice.catalog.WritePolicy;
import dev.sluice.catalog.WriteSchema;
import dev.sluice.catalog.WriteTarget;
import dev.sluice.config.ConfigException;
import dev.sluice.error.ApiError;
import dev.sluice.sql.ConflictMode;
import dev.sluice.sql.InsertSql;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Write policy: tenant-safe references at start, write roles, touched columns in the SQL")
class WritePolicyTest {
  static Resource resource(String name, String tenant, WritePolicy policy) {
    Map<String, ColumnType> fields = new LinkedHashMap<>();
    fields.put("id", ColumnType.INT8);
    fields.put("title", ColumnType.TEXT);
    return new Resource(name, name, "id", ColumnType.INT8, tenant, fields, List.of(), List.of("id"), Map.of(), List.of(),
        Map.of(), 30, 1000, null, null, policy);
  }

  static Catalog catalog() {
    return new Catalog(Map.of(
        "leads", resource("leads", "org_id", WritePolicy.defaultFor("org_id")),
        "customers", resource("customers", "org_id", WritePolicy.defaultFor("org_id")),
        "documents", resource("documents", null, WritePolicy.defaultFor(null))));
  }

  @Test
  @DisplayName("a reference between tenant-scoped tables must pair the tenant columns, else the start fails")
  void tenantSafeReferences() {
    SchemaSnapshot.ForeignKey single = new SchemaSnapshot.ForeignKey("leads", "customers", List.of("customer_id"), List.of("id"));
    ConfigException e = assertThrows(ConfigException.class, () -> WriteSchema.requireTenantSafeReferences(catalog(), List.of(single)));
    assertTrue(e.getMessage().contains("resources.leads") && e.getMessage().contains("org_id -> org_id"), e.getMessage());
    SchemaSnapshot.ForeignKey composite = new SchemaSnapshot.ForeignKey("leads", "customers", List.of("org_id", "customer_id"),
        List.of("org_id", "id"));
    SchemaSnapshot.ForeignKey toShared = new SchemaSnapshot.ForeignKey("leads", "documents", List.of("doc_id"), List.of("id"));
    assertDoesNotThrow(() -> WriteSchema.requireTenantSafeReferences(catalog(), List.of(composite, toShared)));
    SchemaSnapshot.ForeignKey crossed = new SchemaSnapshot.ForeignKey("leads", "customers", List.of("org_id", "customer_id"),
        List.of("id", "org_id"));
    assertThrows(ConfigException.class, () -> WriteSchema.requireTenantSafeReferences(catalog(), List.of(crossed)));
  }

  @Test
  @DisplayName("shared resources default to admin-only writes; the catalog's writeRole is checked")
  void writeRoles() {
    assertEquals(Role.ADMIN, WritePolicy.defaultFor(null).writeRole());
    assertEquals(Role.WRITER, WritePolicy.defaultFor("org_id").writeRole());
    WriteTarget docs = WriteSchema.build(resource("documents", null, WritePolicy.defaultFor(null)), Map.of(), Map.of(), Map.of());
    ApiError e = assertThrows(ApiError.class, () -> docs.requireWritableBy(Role.WRITER));
    assertEquals(403, e.status());
    assertDoesNotThrow(() -> docs.requireWritableBy(Role.ADMIN));
  }

  @Test
  @DisplayName("touchOnUpdate columns are set to now() by the upsert's update, never from EXCLUDED")
  void touchedColumnsInTheUpsert() {
    Resource leads = resource("leads", null, new WritePolicy(Role.WRITER, List.of("updated_at")));
    Map<String, SchemaSnapshot.ColumnFacts> facts = Map.of(
        "id", new SchemaSnapshot.ColumnFacts("int8", false, false, true, false, false, 0),
        "title", new SchemaSnapshot.ColumnFacts("text", false, false, false, false, false, 0),
        "updated_at", new SchemaSnapshot.ColumnFacts("timestamptz", false, true, false, false, false, 0));
    WriteTarget t = WriteSchema.build(leads, facts, Map.of(), Map.of("leads_pkey", List.of("id")));
    long mask = t.byName.get("id").bit() | t.byName.get("title").bit();
    String sql = InsertSql.build(t, mask, ConflictMode.UPDATE, List.of(t.primaryKey), true).sql();
    assertTrue(sql.contains("DO UPDATE SET title = EXCLUDED.title, updated_at = now()"), sql);
    Map<String, SchemaSnapshot.ColumnFacts> noColumn = Map.of("id", facts.get("id"), "title", facts.get("title"));
    assertThrows(ConfigException.class, () -> WriteSchema.build(leads, noColumn, Map.of(), Map.of()));
  }
}
