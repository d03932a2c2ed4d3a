package dev.sluice.vector;

import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.IndexKind;
import dev.sluice.catalog.ResourceSpec.Metric;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.sql.JsonProjection;
import dev.sluice.sql.Selection;
import dev.sluice.sql.SqlParams;

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
  /** The distance a halfvec or bit index orders by, before the full vectors re-rank. */
  static final String APPROX = "\"sluice.approx\"";
  static final String KEY = "\"sluice.key\"";
  static final String RANK = "\"sluice.rank\"";
  static final String SCORE = "\"sluice.score\"";
  /** Hamming distance between binary quantisations (pgvector's bit_hamming_ops, operator <~>). */
  static final String BINARY_OPCLASS = "bit_hamming_ops";
  /** Rows each side of a hybrid search ranks (or k, when larger). */
  static final int HYBRID_DEPTH = 100;
  private static final java.util.regex.Pattern WORD_SPLIT = java.util.regex.Pattern.compile("[^\\p{L}\\p{N}]+");

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
    // An exact search is the reference answer: the full vectors, whatever index the column has.
    IndexKind kind = q.exact() ? IndexKind.VECTOR : q.indexKind();
    boolean approximate = kind != IndexKind.VECTOR;
    String order = approximate ? APPROX : DISTANCE;
    StringBuilder inner = new StringBuilder("SELECT ").append(T).append(".*, ")
        .append(distance(v, kind, T, queryVector)).append(" AS ").append(order)
        .append(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE TRUE");
    String tenant = null;
    if (r.tenantScoped()) {
      tenant = params.bind(q.tenant());
      inner.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = ").append(tenant);
    }
    if (excludeId != null) inner.append(" AND ").append(T).append('.').append(r.primaryKey()).append(" <> ").append(excludeId);
    q.filters().render(inner, T, params);
    inner.append(" ORDER BY ").append(order).append(" LIMIT ").append(params.bind(q.candidates()));
    if (approximate) {
      // The halfvec or bit index found the candidates; the full vectors rank them (and give the distance).
      inner = new StringBuilder("SELECT ").append(T).append(".*, ").append(distance(v, IndexKind.VECTOR, T, queryVector))
          .append(" AS ").append(DISTANCE).append(" FROM (").append(inner).append(") ").append(T)
          .append(" ORDER BY ").append(DISTANCE).append(" LIMIT ").append(params.bind(q.k()));
    }

    StringBuilder sql = new StringBuilder("SELECT ").append(projection(q.selection(), tenant == null ? "NULL" : tenant))
        .append("::text FROM (").append(inner).append(") ").append(T);
    // Similar of a missing row: the stored embedding is NULL, and so is every distance.
    if (excludeId != null) sql.append(" WHERE ").append(T).append('.').append(DISTANCE).append(" IS NOT NULL");
    // "+ 0": the subquery is already ordered by the distance as far as the planner knows, so ordering by
    // the distance itself would be optimised away; the sum is another sort key, and the k rows are sorted.
    sql.append(" ORDER BY ").append(T).append('.').append(DISTANCE).append(" + 0");
    return new Statement(sql.toString(), params);
  }

  /**
   * Hybrid search in one statement: the vector ranking (the index's nearest {@link #HYBRID_DEPTH}
   * rows) and the full-text ranking ({@code ts_rank_cd} over the rows whose text matches any of the
   * query's words, served by the GIN index on to_tsvector('english', column)), each numbered from 1,
   * full-outer-joined on the key and fused by reciprocal rank:
   * score = wv / (rrfK + vector rank) + wt / (rrfK + text rank), a missing side adding 0.
   * <pre>
   * SELECT json_build_object(..., 'distance', t."sluice.distance", 'score', t."sluice.score")::text
   * FROM (SELECT t.*, t.embedding &lt;=&gt; $q AS "sluice.distance", f."sluice.score"
   *       FROM (SELECT coalesce(v.k, x.k) AS k, coalesce($wv / ($rk + v.rank), 0) + coalesce($wt / ($rk + x.rank), 0) AS score
   *             FROM (nearest rows by the index, numbered) v FULL JOIN (best ts_rank_cd rows, numbered) x ON x.k = v.k
   *             ORDER BY score DESC, k LIMIT $k) f
   *       JOIN documents t ON t.id = f.k) t
   * ORDER BY t."sluice.score" DESC, t.id
   * </pre>
   */
  static Statement hybrid(SearchRequest q, String textQuery) {
    SqlParams params = new SqlParams();
    String queryVector = params.bind(q.vector()) + "::float4[]::vector";
    Resource r = q.resource();
    VectorSpec v = q.column().spec();
    SearchRequest.Hybrid h = q.hybrid();
    IndexKind kind = q.exact() ? IndexKind.VECTOR : q.indexKind();
    String pk = r.primaryKey();
    String tenant = r.tenantScoped() ? params.bind(q.tenant()) : null;
    String depth = params.bind(hybridDepth(q));
    String document = "to_tsvector('english', " + T + "." + h.textColumn() + ")";
    String tsquery = "to_tsquery('english', " + params.bind(textQuery) + ")";

    StringBuilder vec = new StringBuilder("SELECT ").append(T).append('.').append(pk).append(" AS ").append(KEY)
        .append(", ").append(distance(v, kind, T, queryVector)).append(" AS ").append(APPROX)
        .append(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE TRUE");
    scope(vec, q, tenant, params);
    vec.append(" ORDER BY ").append(APPROX).append(" LIMIT ").append(depth);

    StringBuilder text = new StringBuilder("SELECT ").append(T).append('.').append(pk).append(" AS ").append(KEY)
        .append(", row_number() OVER (ORDER BY ts_rank_cd(").append(document).append(", ").append(tsquery)
        .append(") DESC, ").append(T).append('.').append(pk).append(") AS ").append(RANK)
        .append(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE ").append(document).append(" @@ ")
        .append(tsquery);
    scope(text, q, tenant, params);
    text.append(" ORDER BY ").append(RANK).append(" LIMIT ").append(depth);

    String rrfK = params.bind(h.rrfK()) + "::float8";
    StringBuilder fused = new StringBuilder("SELECT coalesce(v.").append(KEY).append(", x.").append(KEY).append(") AS ")
        .append(KEY).append(", coalesce(").append(params.bind(h.vectorWeight())).append("::float8 / (").append(rrfK)
        .append(" + v.").append(RANK).append("), 0) + coalesce(").append(params.bind(h.textWeight()))
        .append("::float8 / (").append(rrfK).append(" + x.").append(RANK).append("), 0) AS ").append(SCORE)
        .append(" FROM (SELECT ").append(KEY).append(", row_number() OVER (ORDER BY ").append(APPROX).append(") AS ")
        .append(RANK).append(" FROM (").append(vec).append(") v0) v FULL JOIN (").append(text).append(") x ON x.")
        .append(KEY).append(" = v.").append(KEY)
        .append(" ORDER BY ").append(SCORE).append(" DESC, ").append(KEY).append(" LIMIT ").append(params.bind(q.k()));

    StringBuilder rows = new StringBuilder("SELECT ").append(T).append(".*, ").append(distance(v, IndexKind.VECTOR, T, queryVector))
        .append(" AS ").append(DISTANCE).append(", f.").append(SCORE).append(" FROM (").append(fused).append(") f JOIN ")
        .append(r.table()).append(' ').append(T).append(" ON ").append(T).append('.').append(pk).append(" = f.").append(KEY);

    String json = projection(q.selection(), tenant == null ? "NULL" : tenant);
    json = json.substring(0, json.length() - 1) + ", 'score', " + T + "." + SCORE + ")";
    String sql = "SELECT " + json + "::text FROM (" + rows + ") " + T
        + " ORDER BY " + T + "." + SCORE + " DESC, " + T + "." + pk;
    return new Statement(sql, params);
  }

  /** Rows each side of a hybrid search contributes to the fusion. */
  static int hybridDepth(SearchRequest q) {
    return Math.max(q.k(), HYBRID_DEPTH);
  }

  /** The tenant and the request's filters, for one side of a hybrid search. */
  private static void scope(StringBuilder sql, SearchRequest q, String tenant, SqlParams params) {
    Resource r = q.resource();
    if (tenant != null) sql.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = ").append(tenant);
    q.filters().render(sql, T, params);
  }

  /**
   * The query's words for the full-text side: the letters-and-digits runs of the text, OR'ed
   * (any word may match; ts_rank_cd ranks rows with more of them, closer together, higher).
   * Only such words reach to_tsquery, so its syntax can never be broken by a client's text.
   */
  static String textQuery(String text) {
    StringBuilder out = new StringBuilder();
    int words = 0;
    for (String w : WORD_SPLIT.split(text)) {
      if (w.isEmpty() || w.length() > 100) continue;
      if (words++ > 0) out.append(" | ");
      out.append(w);
      if (words == 64) break;
    }
    return out.toString();
  }

  /** The distance of the indexed expression of {@code kind} to the query, with that index's operator. */
  static String distance(VectorSpec v, IndexKind kind, String alias, String queryVector) {
    String column = alias + "." + v.column();
    return switch (kind) {
      case VECTOR -> column + " " + v.metric().operator + " " + queryVector;
      case HALFVEC -> indexExpression(v, kind, column) + " " + v.metric().operator + " " + queryVector
          + "::halfvec(" + v.dimensions() + ")";
      case BINARY -> indexExpression(v, kind, column) + " <~> binary_quantize(" + queryVector + ")";
    };
  }

  /** The expression an index of {@code kind} is built on (as the migrations write it). */
  static String indexExpression(VectorSpec v, IndexKind kind, String column) {
    return switch (kind) {
      case VECTOR -> column;
      case HALFVEC -> column + "::halfvec(" + v.dimensions() + ")";
      case BINARY -> "binary_quantize(" + column + ")::bit(" + v.dimensions() + ")";
    };
  }

  /** The halfvec operator class of a metric: halfvec_cosine_ops for cosine, and so on. */
  static String halfvecOpclass(Metric metric) {
    return metric.opclass.replace("vector_", "halfvec_");
  }

  /** The row's JSON as the reads build it, with the distance as its last field. */
  static String projection(Selection selection, String tenantParam) {
    String json = JsonProjection.render(selection, T, tenantParam);
    // render() returns json_build_object(...): add the distance before its closing parenthesis
    return json.substring(0, json.length() - 1) + ", 'distance', " + T + "." + DISTANCE + ")";
  }
}
