package dev.sluice.catalog;

import dev.sluice.catalog.ResourceSpec.Kind;
import dev.sluice.catalog.ResourceSpec.VectorSpec;

import java.util.List;
import java.util.Map;

/**
 * A resource after it was checked against the live schema: every field has a known type.
 * Identifiers used in SQL come from here and nowhere else.
 */
public record Resource(
    String name,
    String table,
    String primaryKey,
    ColumnType primaryKeyType,
    String tenantColumn,
    Map<String, ColumnType> fields,
    List<String> defaultSelect,
    List<String> sortable,
    Map<String, Relation> relations,
    List<String> fullText,
    Map<String, VectorSpec> vectors,
    int cacheTtlSeconds,
    int maxLimit,
    MaterializedView view,
    Partitioning partitioning,
    WritePolicy writePolicy) {

  /** A plain table: neither a materialized view nor partitioned by the gateway. */
  public Resource(String name, String table, String primaryKey, ColumnType primaryKeyType, String tenantColumn,
                  Map<String, ColumnType> fields, List<String> defaultSelect, List<String> sortable,
                  Map<String, Relation> relations, List<String> fullText, Map<String, VectorSpec> vectors,
                  int cacheTtlSeconds, int maxLimit) {
    this(name, table, primaryKey, primaryKeyType, tenantColumn, fields, defaultSelect, sortable, relations, fullText,
        vectors, cacheTtlSeconds, maxLimit, null, null, WritePolicy.defaultFor(tenantColumn));
  }

  /**
   * A verified relation. For ONE, {@code column} is ours and points at the target's primary key;
   * for MANY, {@code column} is the target's and points at our primary key.
   */
  public record Relation(String name, String target, Kind kind, String column, int limit) {}

  public boolean tenantScoped() {
    return tenantColumn != null;
  }

  /** Materialized views are read-only: the gateway refreshes them, clients never write them. */
  public boolean writable() {
    return view == null;
  }

  public boolean hasField(String f) {
    return fields.containsKey(f);
  }
}
