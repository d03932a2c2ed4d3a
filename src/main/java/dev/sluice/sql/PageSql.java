package dev.sluice.sql;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The statement of one page: keyset by default ({@code after}), offset with {@code page}, embedded
 * relations included, and the count statement of offset pages with {@code count}:
 * <pre>
 *   SELECT t.id, t.title, (SELECT ... customer ...)::text, t.created_at, t.id
 *   FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = $1 [AND filters...] [AND (t.created_at, t.id) &lt; ($n, $m)]
 *         ORDER BY t.created_at DESC, t.id DESC LIMIT $k) t
 *   ORDER BY t.created_at DESC, t.id DESC
 * </pre>
 * The rows are chosen in the inner query on plain columns; only the page's rows get their relations
 * embedded in the outer one (projecting in a single level would build them for every row a sort or
 * an OFFSET passes over). The sort keys follow the selected columns, for the next cursor.
 */
public final class PageSql {
  private static final String T = "t";

  private PageSql() {}

  /** Parses a page request against the catalog and builds its statements; a bad parameter is a 400. */
  public static PageQuery plan(Catalog catalog, SluiceConfig.Reads limits, DataRequest req) {
    Resource r = catalog.require(req.resource());
    QueryScopes scopes = QueryScopes.split(req.query());
    Selection sel = Selection.parse(catalog, r, req.param("select"), scopes, limits.embedMaxRows());
    Filters filters = Filters.parse(r, scopes.root());
    Ordering order = Ordering.parse(r, req.param("order"), filters);
    int limit = parseLimit(req.param("limit"), r.maxLimit(), limits.defaultLimit());
    String pageParam = req.param("page");
    String after = req.param("after");
    Integer page = null;
    if (pageParam != null) {
      if (after != null) throw ApiError.badRequest("Use either page or after, not both.");
      page = Numbers.parsePositive("page", pageParam);
      long offset = (long) (page - 1) * limit;
      if (offset + limit > limits.maxOffset()) {
        throw ApiError.badRequest("Offset pages end at row " + limits.maxOffset()
            + "; page deeper with the keyset cursor: follow the 'next' cursor of a keyset page (after=...).",
            new JsonObject().put("maxOffset", limits.maxOffset()).put("use", "after"));
      }
    }
    String count = req.param("count");
    if (count != null && !count.equals("exact") && !count.equals("estimated") && !count.equals("none")) {
      throw ApiError.badRequest("count must be exact, estimated or none.");
    }
    if (count != null && page == null) throw ApiError.badRequest("count goes with offset pages (page=N).");

    SqlParams params = new SqlParams();
    String tenant = r.tenantScoped() ? params.bind(req.tenant()) : null;
    StringBuilder where = new StringBuilder(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE TRUE");
    if (tenant != null) where.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = ").append(tenant);
    filters.render(where, T, params);

    // The count runs the same WHERE with its own parameters (a separate, pipelined statement).
    String countSql = null;
    SqlParams countParams = null;
    if ("exact".equals(count) || "estimated".equals(count)) {
      countParams = new SqlParams();
      StringBuilder cw = new StringBuilder(" FROM ").append(r.table()).append(' ').append(T).append(" WHERE TRUE");
      if (r.tenantScoped()) cw.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = ").append(countParams.bind(req.tenant()));
      filters.render(cw, T, countParams);
      countSql = "exact".equals(count) ? "SELECT count(*)" + cw : "EXPLAIN (FORMAT JSON) SELECT 1" + cw;
    }

    // order=rank(col): the rank of the col=fts filter's query, computed by the inner query.
    String rankOf = order.rankOf();
    String rank = rankOf == null ? null : "ts_rank(" + Filters.tsvector(T + "." + rankOf) + ", "
        + Filters.tsquery(params.bind(filters.ftsQuery(rankOf))) + ")";
    if (after != null) {
      List<Object> cursor = Cursor.decode(after, r.name(), order, filters);
      order.renderAfter(where, T, cursor, params, rank);
      if (r.partitioning() != null) order.renderLeadingBound(where, T, r.partitioning().column(), cursor, params);
    }
    StringBuilder inner = new StringBuilder("SELECT ").append(T).append(".*");
    if (rank != null) inner.append(", ").append(rank).append(" AS ").append(Ordering.RANK_COLUMN);
    inner.append(where).append(order.orderBy(T, rank));
    if (page == null) {
      inner.append(" LIMIT ").append(params.bind(limit + 1)); // one more row tells whether a next page exists
    } else {
      inner.append(" LIMIT ").append(params.bind(limit)).append(" OFFSET ").append(params.bind((long) (page - 1) * limit));
    }
    StringBuilder sql = new StringBuilder("SELECT ").append(SelectList.columns(sel, T, tenant == null ? "NULL" : tenant, params));
    for (Ordering.Key k : order.keys()) sql.append(", ").append(T).append('.').append(k.column());
    sql.append(" FROM (").append(inner).append(") ").append(T).append(order.orderBy(T));
    return new PageQuery(sql.toString(), params, r, order, filters, limit, page, count, countSql, countParams,
        List.copyOf(sel.embeddedResources()), sel);
  }

  /** The page's plan as PostgreSQL's EXPLAIN gives it, run with the page's own parameters (admin only). */
  public static String explain(PageQuery q, boolean analyze) {
    return "EXPLAIN " + (analyze ? "(ANALYZE, BUFFERS, FORMAT JSON) " : "(FORMAT JSON) ") + q.sql();
  }

  private static int parseLimit(String text, int max, int defaultLimit) {
    if (text == null) return Math.min(defaultLimit, max);
    int limit = Numbers.parsePositive("limit", text);
    if (limit > max) throw ApiError.badRequest("limit must be at most " + max + ".");
    return limit;
  }
}
