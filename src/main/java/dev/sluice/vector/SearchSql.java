package dev.sluice.vector;

import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.data.Filters;
import dev.sluice.data.JsonProjection;
import dev.sluice.data.Selection;
import dev.sluice.data.SqlParams;

/**
 * The SQL of a search. The inner query is the one the ANN index serves:
 * {@code ORDER BY col <op> $1 LIMIT k} with the tenant and the filters in its WHERE (an iterative
 * index scan keeps going until k rows pass them). The outer query sorts those k rows by distance
 * again, because a relaxed_order iterative scan may return them slightly out of order (pgvector's
 * documentation re-sorts through a materialized CTE for the same reason), and builds each row's
 * JSON, distance included, inside PostgreSQL. Identifiers come from the catalog only;
 * every value is a bind parameter: the vector is bound as float4[] (binary) and cast to vector.
 *
 * <pre>
 * SELECT json_build_object('id', t.id, ..., 'distance', t."sluice.distance")::text
 * FROM (SELECT t.*, t.embedding &lt;=&gt; $1::float4[]::vector AS "sluice.distance"
 *       FROM documents t WHERE TRUE [AND t.org_id = $2] [AND filters...]
 *       ORDER BY "sluice.distance" LIMIT $n) t
 * ORDER BY t."sluice.distance" + 0
 * </pre>
 * Similar replaces {@code $1::float4[]::vector} with the stored row's embedding as an uncorrelated
 * scalar subquery (an InitPlan, so the index still serves the ORDER BY), excludes the row itself,
 * and returns nothing when that row is not there (or is another tenant's).
 */
final class SearchSql {
  private static final String T = "t";
  /** A quoted name no catalog identifier can take (they are plain lower-case names). */
  static final String DISTANCE = "\"sluice.distance\"";

  private SearchSql() {}

  record Statement(String sql, SqlParams params) {}

  static Statement search(SearchRequest q) {
    SqlParams params = new SqlParams();
    String query = params.bind(q.vector()) + "::float4[]::vector";
    return build(q, params, query, null);
  }

  static Statement similar(SearchRequest q) {
    SqlParams params = new SqlParams();
    Resource r = q.resource();
    String id = params.bind(q.id());
    StringBuilder stored = new StringBuilder("(SELECT s.").append(q.column().spec().column()).append(" FROM ")
        .append(r.table()).append(" s WHERE s.").append(r.primaryKey()).append(" = ").append(id);
    if (r.tenantScoped()) stored.append(" AND s.").append(r.tenantColumn()).append(" = ").append(params.bind(q.tenant()));
    stored.append(')');
    return build(q, params, stored.toString(), id);
  }

  /** Whether the row similar asked about is there (for this tenant): tells an empty answer from a 404. */
  static Statement exists(SearchRequest q) {
    SqlParams params = new SqlParams();
    Resource r = q.resource();
    StringBuilder sql = new StringBuilder("SELECT 1 FROM ").append(r.table()).append(" s WHERE s.")
        .append(r.primaryKey()).append(" = ").append(params.bind(q.id()));
    if (r.tenantScoped()) sql.append(" AND s.").append(r.tenantColumn()).append(" = ").append(params.bind(q.tenant()));
    return new Statement(sql.toString(), params);
  }

  private static Statement build(SearchRequest q, SqlParams params, String queryVector, String excludeId) {
    Resource r = q.resource();
    VectorSpec v = q.column().spec();
    StringBuilder inner = new StringBuilder("SELECT ").append(T).append(".*, ").append(T).append('.').append(v.column())
        .append(' ').append(v.metric().operator).append(' ').append(queryVector).append(" AS ").append(DISTANCE)
        .append(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE TRUE");
    String tenant = null;
    if (r.tenantScoped()) {
      tenant = params.bind(q.tenant());
      inner.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = ").append(tenant);
    }
    if (excludeId != null) inner.append(" AND ").append(T).append('.').append(r.primaryKey()).append(" <> ").append(excludeId);
    q.filters().render(inner, T, params);
    inner.append(" ORDER BY ").append(DISTANCE).append(" LIMIT ").append(params.bind(q.k()));

    StringBuilder sql = new StringBuilder("SELECT ").append(projection(q.selection(), tenant == null ? "NULL" : tenant))
        .append("::text FROM (").append(inner).append(") ").append(T);
    // Similar of a missing row: the stored embedding is NULL, and so is every distance.
    if (excludeId != null) sql.append(" WHERE ").append(T).append('.').append(DISTANCE).append(" IS NOT NULL");
    // "+ 0": the subquery is already ordered by the distance as far as the planner knows, so ordering by
    // the distance itself would be optimised away; the sum is another sort key, and the k rows are sorted.
    sql.append(" ORDER BY ").append(T).append('.').append(DISTANCE).append(" + 0");
    return new Statement(sql.toString(), params);
  }

  /** The row's JSON as the reads build it, with the distance as its last field. */
  static String projection(Selection selection, String tenantParam) {
    String json = JsonProjection.render(selection, T, tenantParam);
    // render() returns json_build_object(...): add the distance before its closing parenthesis
    return json.substring(0, json.length() - 1) + ", 'distance', " + T + "." + DISTANCE + ")";
  }
}
