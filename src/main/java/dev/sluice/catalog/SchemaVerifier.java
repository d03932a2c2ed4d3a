package dev.sluice.catalog;

import dev.sluice.catalog.ResourceSpec.RelationSpec;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;

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
  private SchemaVerifier() {}

  /** The tables the specs name: what the gateway's {@link SchemaSnapshot} reads. */
  public static List<String> tables(List<ResourceSpec> specs) {
    return specs.stream().map(ResourceSpec::table).distinct().toList();
  }

  /** Reads the schema and checks the specs against it (tools; the gateway shares its one snapshot instead). */
  public static Future<Catalog> verify(SqlClient client, List<ResourceSpec> specs) {
    return SchemaSnapshot.read(client, tables(specs)).map(schema -> build(specs, schema));
  }

  public static Catalog build(List<ResourceSpec> specs, SchemaSnapshot schema) {
    Map<String, ResourceSpec> byName = new HashMap<>();
    specs.forEach(s -> byName.put(s.name(), s));
    Map<String, Resource> out = new LinkedHashMap<>();
    for (ResourceSpec s : specs) {
      String key = "resources." + s.name();
      Map<String, String> cols = udts(schema.attributes(s.table()));
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
          Map<String, String> targetCols = udts(schema.attributes(target.table()));
          typeOf(relKey, target.table(), rel.column(), targetCols == null ? Map.of() : targetCols);
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

  /** A table's column types by name, or null for a table that does not exist. */
  private static Map<String, String> udts(Map<String, SchemaSnapshot.Attribute> attributes) {
    if (attributes == null) return null;
    Map<String, String> out = new HashMap<>();
    attributes.forEach((column, a) -> out.put(column, a.udt()));
    return out;
  }

  private static ColumnType typeOf(String key, String table, String column, Map<String, String> cols) {
    String udt = cols.get(column);
    if (udt == null) throw new ConfigException(key + ": column '" + column + "' does not exist in table '" + table + "'");
    ColumnType t = ColumnType.fromUdt(udt);
    if (t == null) throw new ConfigException(key + ": column '" + column + "' has type " + udt + ", which Sluice does not expose");
    return t;
  }
}
