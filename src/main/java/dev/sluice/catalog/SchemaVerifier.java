package dev.sluice.catalog;

import dev.sluice.catalog.ResourceSpec.RelationSpec;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.ConfigException;
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
 * Checks every identifier of the catalog against the live schema at start and learns each
 * column's type, so a typo in the configuration fails the start instead of a request.
 */
public final class SchemaVerifier {
  // pg_catalog rather than information_schema.columns, which leaves out materialized views.
  private static final String COLUMNS_SQL =
      "SELECT c.relname::text, a.attname::text, t.typname::text FROM pg_attribute a "
          + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type d ON d.oid = a.atttypid "
          // a domain column has its base type, as information_schema's udt_name says
          + "JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END "
          + "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1) "
          + "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped";

  private SchemaVerifier() {}

  public static Future<Catalog> verify(SqlClient client, List<ResourceSpec> specs) {
    String[] tables = specs.stream().map(ResourceSpec::table).distinct().toArray(String[]::new);
    return client.preparedQuery(COLUMNS_SQL).execute(Tuple.of(tables)).map(rows -> {
      Map<String, Map<String, String>> schema = new HashMap<>();
      for (Row row : rows) {
        schema.computeIfAbsent(row.getString(0), t -> new HashMap<>()).put(row.getString(1), row.getString(2));
      }
      return build(specs, schema);
    });
  }

  static Catalog build(List<ResourceSpec> specs, Map<String, Map<String, String>> schema) {
    Map<String, ResourceSpec> byName = new HashMap<>();
    specs.forEach(s -> byName.put(s.name(), s));
    Map<String, Resource> out = new LinkedHashMap<>();
    for (ResourceSpec s : specs) {
      String key = "resources." + s.name();
      Map<String, String> cols = schema.get(s.table());
      if (cols == null) throw new ConfigException(key + ".table: table '" + s.table() + "' does not exist");
      Map<String, ColumnType> fields = new LinkedHashMap<>();
      for (String f : s.fields()) fields.put(f, typeOf(key + ".fields", s.table(), f, cols));
      ColumnType pkType = typeOf(key + ".primaryKey", s.table(), s.primaryKey(), cols);
      if (s.tenantColumn() != null) {
        ColumnType t = typeOf(key + ".tenantColumn", s.table(), s.tenantColumn(), cols);
        if (t != ColumnType.INT8 && t != ColumnType.INT4) {
          throw new ConfigException(key + ".tenantColumn: must be an integer column");
        }
      }
      for (String f : s.fullText()) {
        if (fields.get(f) != ColumnType.TEXT) throw new ConfigException(key + ".fullText: '" + f + "' is not a text column");
      }
      for (VectorSpec v : s.vectors().values()) {
        if (fields.get(v.column()) != ColumnType.VECTOR) {
          throw new ConfigException(key + ".vectors." + v.column() + ": is not a vector column");
        }
      }
      Map<String, Resource.Relation> relations = new LinkedHashMap<>();
      for (RelationSpec rel : s.relations().values()) {
        ResourceSpec target = byName.get(rel.resource());
        String relKey = key + ".relations." + rel.name() + ".column";
        if (rel.kind() == ResourceSpec.Kind.ONE) {
          typeOf(relKey, s.table(), rel.column(), cols);
        } else {
          typeOf(relKey, target.table(), rel.column(), schema.getOrDefault(target.table(), Map.of()));
        }
        relations.put(rel.name(), new Resource.Relation(rel.name(), rel.resource(), rel.kind(), rel.column(), rel.limit()));
      }
      List<String> defaultSelect = new ArrayList<>();
      fields.forEach((f, t) -> {
        if (t != ColumnType.VECTOR) defaultSelect.add(f); // vectors are large: returned only when selected
      });
      out.put(s.name(), new Resource(s.name(), s.table(), s.primaryKey(), pkType, s.tenantColumn(), fields,
          List.copyOf(defaultSelect), s.sortable(), relations, s.fullText(), s.vectors(), s.cacheTtlSeconds(),
          s.maxLimit(), s.view(), s.partitioning(), s.writePolicy()));
    }
    return new Catalog(out);
  }

  private static ColumnType typeOf(String key, String table, String column, Map<String, String> cols) {
    String udt = cols.get(column);
    if (udt == null) throw new ConfigException(key + ": column '" + column + "' does not exist in table '" + table + "'");
    ColumnType t = ColumnType.fromUdt(udt);
    if (t == null) throw new ConfigException(key + ": column '" + column + "' has type " + udt + ", which Sluice does not expose");
    return t;
  }
}
