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
    MaterializedView view,
    Partitioning partitioning,
    WritePolicy writePolicy) {

  /** A plain table: neither a materialized view nor partitioned by the gateway. */
  public ResourceSpec(String name, String table, String primaryKey, String tenantColumn, List<String> fields,
                      List<String> sortable, Map<String, RelationSpec> relations, List<String> fullText,
                      Map<String, VectorSpec> vectors, int cacheTtlSeconds, int maxLimit) {
    this(name, table, primaryKey, tenantColumn, fields, sortable, relations, fullText, vectors, cacheTtlSeconds,
        maxLimit, null, null, WritePolicy.defaultFor(tenantColumn));
  }

  /** to-one: this.column references target's primary key; to-many: target.column references ours. */
  public record RelationSpec(String name, String resource, Kind kind, String column, int limit) {}

  public enum Kind { ONE, MANY }

  /**
   * A searchable vector column.
   *
   * @param model the embedding model of the column ({@code text} searches and embeddings on write), or null
   * @param source the text column its vector is computed from on writes that send no vector, or null
   * @param index which ANN index searches use: the column itself, its halfvec expression, or its
   *     binary quantisation (candidates re-ranked by the full vectors)
   * @param rerank for the binary index: candidates fetched per result (k × rerank), re-ranked exactly
   */
  public record VectorSpec(String column, int dimensions, Metric metric, String model, String source,
                           IndexKind index, int rerank) {
    public VectorSpec(String column, int dimensions, Metric metric) {
      this(column, dimensions, metric, null, null, IndexKind.VECTOR, 4);
    }
  }

  /** The ANN index a vector column's searches go through (see VectorIndexes for the index each needs). */
  public enum IndexKind {
    VECTOR, HALFVEC, BINARY;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

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
