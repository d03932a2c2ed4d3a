package dev.sluice.catalog;

import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.ConfigException;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads, once at start, what validation needs beyond the catalog's column types: which columns an
 * insert must give (NOT NULL without default, identity or generation), which it may not
 * (generated), text length limits, and the tables' unique keys and constraint columns.
 */
public final class WriteSchema {
  private static final String COLUMNS_SQL =
      "SELECT table_name::text, column_name::text, udt_name::text, is_nullable = 'YES', column_default IS NOT NULL, "
          + "is_identity = 'YES', coalesce(identity_generation = 'ALWAYS', false), is_generated = 'ALWAYS', "
          + "coalesce(character_maximum_length, 0) "
          + "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)";

  private static final String CONSTRAINTS_SQL =
      "SELECT cl.relname::text, con.conname::text, array_agg(a.attname::text ORDER BY k.ord) "
          + "FROM pg_constraint con "
          + "JOIN pg_class cl ON cl.oid = con.conrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
          + "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
          + "WHERE n.nspname = current_schema() AND cl.relname = ANY($1) "
          + "GROUP BY cl.relname, con.conname";

  private static final String UNIQUE_SQL =
      "SELECT cl.relname::text, i.relname::text, array_agg(a.attname::text ORDER BY k.ord) "
          + "FROM pg_index x "
          + "JOIN pg_class cl ON cl.oid = x.indrelid "
          + "JOIN pg_class i ON i.oid = x.indexrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
          + "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
          + "WHERE n.nspname = current_schema() AND cl.relname = ANY($1) AND x.indisunique "
          + "AND x.indpred IS NULL AND x.indexprs IS NULL "
          + "GROUP BY cl.relname, i.relname, x.indisprimary ORDER BY x.indisprimary DESC, i.relname";

  /** Foreign keys of the catalog's tables: (table, referenced table, columns, referenced columns). */
  private static final String FOREIGN_KEYS_SQL =
      "SELECT cl.relname::text, ref.relname::text, "
          + "ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
          + "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord), "
          + "ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) "
          + "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) "
          + "FROM pg_constraint con "
          + "JOIN pg_class cl ON cl.oid = con.conrelid "
          + "JOIN pg_class ref ON ref.oid = con.confrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "WHERE con.contype = 'f' AND con.conparentid = 0 AND n.nspname = current_schema() AND cl.relname = ANY($1)";

  public record ForeignKey(String table, String referenced, List<String> columns, List<String> referencedColumns) {}

  public record Facts(String udt, boolean nullable, boolean hasDefault, boolean identity, boolean identityAlways,
                       boolean generated, int maxLength) {}

  private WriteSchema() {}

  public static Future<Map<String, WriteTarget>> load(SqlClient client, Catalog catalog) {
    String[] tables = catalog.all().values().stream().map(Resource::table).distinct().toArray(String[]::new);
    Tuple args = Tuple.of(tables);
    Future<Map<String, Map<String, Facts>>> columns = client.preparedQuery(COLUMNS_SQL).execute(args).map(rows -> {
      Map<String, Map<String, Facts>> out = new HashMap<>();
      for (Row r : rows) {
        out.computeIfAbsent(r.getString(0), t -> new HashMap<>()).put(r.getString(1), new Facts(r.getString(2),
            r.getBoolean(3), r.getBoolean(4), r.getBoolean(5), r.getBoolean(6), r.getBoolean(7), r.getInteger(8)));
      }
      return out;
    });
    Future<Map<String, Map<String, List<String>>>> constraints = client.preparedQuery(CONSTRAINTS_SQL).execute(args)
        .map(WriteSchema::byTable);
    Future<Map<String, Map<String, List<String>>>> uniques = client.preparedQuery(UNIQUE_SQL).execute(args)
        .map(WriteSchema::byTable);
    // After the three above, not beside them: no more connections opened at once at start than before.
    Future<List<ForeignKey>> foreignKeys = Future.all(columns, constraints, uniques)
        .compose(v -> client.preparedQuery(FOREIGN_KEYS_SQL).execute(args)).map(rows -> {
          List<ForeignKey> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new ForeignKey(r.getString(0), r.getString(1), List.of(r.getArrayOfStrings(2)),
                List.of(r.getArrayOfStrings(3))));
          }
          return out;
        });
    return foreignKeys.map(fks -> {
      requireTenantSafeReferences(catalog, fks);
      Map<String, WriteTarget> out = new LinkedHashMap<>();
      for (Resource r : catalog.all().values()) {
        out.put(r.name(), build(r, columns.result().getOrDefault(r.table(), Map.of()),
            constraints.result().getOrDefault(r.table(), Map.of()), uniques.result().getOrDefault(r.table(), Map.of())));
      }
      return out;
    });
  }

  private static Map<String, Map<String, List<String>>> byTable(Iterable<Row> rows) {
    Map<String, Map<String, List<String>>> out = new HashMap<>();
    for (Row r : rows) {
      out.computeIfAbsent(r.getString(0), t -> new LinkedHashMap<>()).put(r.getString(1), List.of(r.getArrayOfStrings(2)));
    }
    return out;
  }

  public static WriteTarget build(Resource r, Map<String, Facts> facts, Map<String, List<String>> constraints,
                           Map<String, List<String>> uniques) {
    List<WriteTarget.Column> columns = new ArrayList<>();
    List<String> names = new ArrayList<>(r.fields().keySet());
    if (r.tenantColumn() != null && !names.contains(r.tenantColumn())) names.add(r.tenantColumn());
    for (String name : names) {
      Facts f = facts.get(name);
      ColumnType type = r.fields().containsKey(name) ? r.fields().get(name) : ColumnType.fromUdt(f == null ? "" : f.udt());
      boolean nullable = f == null || f.nullable();
      boolean generated = f != null && (f.generated() || f.identityAlways());
      boolean required = f != null && !nullable && !f.hasDefault() && !f.identity() && !f.generated();
      VectorSpec v = r.vectors().get(name);
      columns.add(new WriteTarget.Column(columns.size(), name, type, r.fields().containsKey(name), nullable, required,
          generated, f == null ? 0 : f.maxLength(), v == null ? 0 : v.dimensions()));
    }
    for (String touched : r.writePolicy().touchOnUpdate()) {
      Facts f = facts.get(touched);
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
  public static void requireTenantSafeReferences(Catalog catalog, List<ForeignKey> foreignKeys) {
    for (ForeignKey fk : foreignKeys) {
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
