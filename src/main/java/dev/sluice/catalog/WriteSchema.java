package dev.sluice.catalog;

import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.ConfigException;
import dev.sluice.error.ApiError;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The write path's view of each resource, from the start-up {@link SchemaSnapshot}: which columns an
 * insert must give (NOT NULL without default, identity or generation), which it may not
 * (generated), text length limits, and the tables' unique keys and constraint columns.
 */
public final class WriteSchema {
  private WriteSchema() {}

  /** Every resource's write target; a schema that would let a tenant reference another's rows stops the start. */
  public static Map<String, WriteTarget> targets(Catalog catalog, SchemaSnapshot schema) {
    requireTenantSafeReferences(catalog, schema.foreignKeys());
    Map<String, WriteTarget> out = new LinkedHashMap<>();
    for (Resource r : catalog.all().values()) {
      out.put(r.name(), build(r, schema.columns(r.table()), schema.constraints(r.table()), schema.uniques(r.table())));
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  public static WriteTarget build(Resource r, Map<String, SchemaSnapshot.ColumnFacts> facts,
                                  Map<String, List<String>> constraints,
                           Map<String, List<String>> uniques) {
    List<WriteTarget.Column> columns = new ArrayList<>();
    List<String> names = new ArrayList<>(r.fields().keySet());
    if (r.tenantColumn() != null && !names.contains(r.tenantColumn())) names.add(r.tenantColumn());
    for (String name : names) {
      SchemaSnapshot.ColumnFacts f = facts.get(name);
      ColumnType type = r.fields().containsKey(name) ? r.fields().get(name) : ColumnType.fromUdt(f == null ? "" : f.udt());
      boolean nullable = f == null || f.nullable();
      boolean generated = f != null && (f.generated() || f.identityAlways());
      boolean required = f != null && !nullable && !f.hasDefault() && !f.identity() && !f.generated();
      VectorSpec v = r.vectors().get(name);
      columns.add(new WriteTarget.Column(columns.size(), name, type, r.fields().containsKey(name), nullable, required,
          generated, f == null ? 0 : f.maxLength(), v == null ? 0 : v.dimensions()));
    }
    for (String touched : r.writePolicy().touchOnUpdate()) {
      SchemaSnapshot.ColumnFacts f = facts.get(touched);
      if (f == null || !List.of("timestamptz", "timestamp", "date").contains(f.udt())) {
        throw new ConfigException("resources." + r.name() + ".touchOnUpdate: '" + touched
            + "' is not a timestamp column of table '" + r.table() + "'");
      }
    }
    List<String> hiddenRequired = new ArrayList<>();
    facts.forEach((name, f) -> {
      if (!names.contains(name) && !f.nullable() && !f.hasDefault() && !f.identity() && !f.generated()) {
        hiddenRequired.add(name);
      }
    });
    Map<String, List<String>> constraintColumns = new HashMap<>(constraints);
    constraintColumns.putAll(uniques);
    return new WriteTarget(r, columns, hiddenRequired, constraintColumns, new ArrayList<>(uniques.values()));
  }

  /**
   * Tenant-safe references: a foreign key from a tenant-scoped resource's table to another
   * tenant-scoped resource's table must pair the two tenant columns (a composite key such as
   * {@code (org_id, customer_id) REFERENCES customers (org_id, id)}, migration V70), so that the
   * database itself refuses, in the writing statement, a row pointing at another tenant's row —
   * with the same error as for an id that does not exist. A single-column key would let a writer
   * point at (and so probe for) other tenants' rows: such a schema stops the start.
   */
  public static void requireTenantSafeReferences(Catalog catalog, List<SchemaSnapshot.ForeignKey> foreignKeys) {
    for (SchemaSnapshot.ForeignKey fk : foreignKeys) {
      for (Resource from : catalog.all().values()) {
        if (!from.table().equals(fk.table()) || !from.tenantScoped()) continue;
        for (Resource to : catalog.all().values()) {
          if (!to.table().equals(fk.referenced()) || !to.tenantScoped()) continue;
          int at = fk.columns().indexOf(from.tenantColumn());
          if (at < 0 || !fk.referencedColumns().get(at).equals(to.tenantColumn())) {
            throw new ConfigException("resources." + from.name() + ": the foreign key (" + String.join(", ", fk.columns())
                + ") to '" + to.table() + "' does not include the tenant columns (" + from.tenantColumn() + " -> "
                + to.tenantColumn() + "), so a tenant could point a row at another tenant's; make it a composite key");
          }
        }
      }
    }
  }

  /** The targets by resource name; 404 for undeclared ones, as reads do. */
  public static WriteTarget require(Map<String, WriteTarget> targets, Catalog catalog, String name) {
    Resource r = catalog.require(name);
    if (!r.writable()) {
      throw new ApiError(405, "read_only", "Resource '" + r.name() + "' is a materialized view: it is read-only "
          + "(admins refresh it with POST /admin/refresh/" + r.name() + ").");
    }
    WriteTarget t = targets.get(r.name());
    if (t == null) throw ApiError.notFound("No resource named '" + r.name() + "'.");
    return t;
  }
}
