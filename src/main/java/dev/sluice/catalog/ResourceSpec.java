package dev.sluice.catalog;

import java.util.List;
import java.util.Map;

/**
 * A resource as declared in the configuration, before it is checked against the live schema.
 *
 * @param fullText columns searchable with the {@code fts} operator (a GIN index on
 *     to_tsvector('english', column) serves them)
 * @param writePolicy who may write it, and the columns the gateway sets on update
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
    WritePolicy writePolicy) {

  /** A resource with the default write policy (see {@link WritePolicy#defaultFor}). */
  public ResourceSpec(String name, String table, String primaryKey, String tenantColumn, List<String> fields,
                      List<String> sortable, Map<String, RelationSpec> relations, List<String> fullText,
                      Map<String, VectorSpec> vectors, int cacheTtlSeconds, int maxLimit) {
    this(name, table, primaryKey, tenantColumn, fields, sortable, relations, fullText, vectors, cacheTtlSeconds, maxLimit,
        WritePolicy.defaultFor(tenantColumn));
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
