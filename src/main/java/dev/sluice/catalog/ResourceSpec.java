package dev.sluice.catalog;

import java.util.List;
import java.util.Map;

/**
 * A resource as declared in the configuration, before it is checked against the live schema.
 *
 * @param fullText columns searchable with the {@code fts} operator (a GIN index on
 *     to_tsvector('english', column) serves them)
 * @param view set when the table is a materialized view (read-only, refreshed by the gateway)
 * @param partitioning set when the table is range-partitioned by time (kept by the gateway)
 */
public record ResourceSpec(
    String name,
    String table,
    String primaryKey,
    String tenantColumn,
    List<String> fields,
    List<String> sortable,
    Map<String, RelationSpec> relations,
    List<String> fullText,
    Map<String, VectorSpec> vectors,
    int cacheTtlSeconds,
    int maxLimit,
    MaterializedView view,
    Partitioning partitioning) {

  /** A plain table: neither a materialized view nor partitioned by the gateway. */
  public ResourceSpec(String name, String table, String primaryKey, String tenantColumn, List<String> fields,
                      List<String> sortable, Map<String, RelationSpec> relations, List<String> fullText,
                      Map<String, VectorSpec> vectors, int cacheTtlSeconds, int maxLimit) {
    this(name, table, primaryKey, tenantColumn, fields, sortable, relations, fullText, vectors, cacheTtlSeconds,
        maxLimit, null, null);
  }

  /** to-one: this.column references target's primary key; to-many: target.column references ours. */
  public record RelationSpec(String name, String resource, Kind kind, String column, int limit) {}

  public enum Kind { ONE, MANY }

  public record VectorSpec(String column, int dimensions, Metric metric) {}

  public enum Metric {
    COSINE("<=>", "vector_cosine_ops"),
    L2("<->", "vector_l2_ops"),
    INNER_PRODUCT("<#>", "vector_ip_ops");

    public final String operator;
    public final String opclass;

    Metric(String operator, String opclass) {
      this.operator = operator;
      this.opclass = opclass;
    }
  }
}
