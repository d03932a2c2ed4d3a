package dev.sluice.data;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.List;

/**
 * Pages of a resource: keyset by default ({@code after}), offset with {@code page}. One statement
 * per page, embedded relations included; the rows are encoded to JSON here ({@link JsonRows}).
 */
final class PageReader {
  private static final String T = "t";

  private final Catalog catalog;
  private final SluiceConfig.Reads limits;
  private final SqlClient client;

  PageReader(Catalog catalog, SluiceConfig.Reads limits, SqlClient client) {
    this.catalog = catalog;
    this.limits = limits;
    this.client = client;
  }

  /** The SQL and parameters of one page; also what /admin/explain shows. */
  record PageQuery(String sql, SqlParams params, Resource resource, Ordering order, Filters filters, int limit,
                   Integer page, String count, String countSql, SqlParams countParams, List<String> embedded,
                   Selection selection) {}

  PageQuery plan(DataRequest req) {
    Resource r = catalog.require(req.resource());
    QueryScopes scopes = QueryScopes.split(req.query());
    Selection sel = Selection.parse(catalog, r, req.param("select"), scopes, limits.embedMaxRows());
    Filters filters = Filters.parse(r, scopes.root());
    Ordering order = Ordering.parse(r, req.param("order"), filters);
    int limit = parseLimit(req.param("limit"), r.maxLimit());
    String pageParam = req.param("page");
    String after = req.param("after");
    Integer page = null;
    if (pageParam != null) {
      if (after != null) throw ApiError.badRequest("Use either page or after, not both.");
      page = parsePositive("page", pageParam);
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
    // The rows are chosen in an inner query on plain columns; only the page's rows get their JSON
    // built (and relations embedded) in the outer one. Projecting in a single level would build
    // JSON for every row a sort or an OFFSET passes over.
    StringBuilder inner = new StringBuilder("SELECT ").append(T).append(".*");
    if (rank != null) inner.append(", ").append(rank).append(" AS ").append(Ordering.RANK_COLUMN);
    inner.append(where).append(order.orderBy(T, rank));
    if (page == null) {
      inner.append(" LIMIT ").append(params.bind(limit + 1)); // one more row tells whether a next page exists
    } else {
      inner.append(" LIMIT ").append(params.bind(limit)).append(" OFFSET ").append(params.bind((long) (page - 1) * limit));
    }
    StringBuilder sql = new StringBuilder("SELECT ").append(JsonRows.columns(sel, T, tenant == null ? "NULL" : tenant, params));
    for (Ordering.Key k : order.keys()) sql.append(", ").append(T).append('.').append(k.column());
    sql.append(" FROM (").append(inner).append(") ").append(T).append(order.orderBy(T));
    return new PageQuery(sql.toString(), params, r, order, filters, limit, page, count, countSql, countParams,
        List.copyOf(sel.embeddedResources()), sel);
  }

  /** Runs a planned page; the total (offset pages with count) comes from {@code counter}, e.g. through a cache. */
  Future<Buffer> execute(PageQuery q, java.util.function.Function<PageQuery, Future<Long>> counter) {
    Future<RowSet<Row>> rows = client.preparedQuery(q.sql()).execute(q.params().tuple());
    if (q.page() == null) return rows.map(rs -> keysetBody(q, rs));
    Future<Long> total = q.countSql() == null ? Future.succeededFuture(null) : counter.apply(q);
    return Future.all(rows, total).map(v -> offsetBody(q, rows.result(), total.result()));
  }

  Future<Long> count(PageQuery q) {
    return client.preparedQuery(q.countSql()).execute(q.countParams().tuple()).map(rs -> countOf(q, rs));
  }

  private static Long countOf(PageQuery q, RowSet<Row> rs) {
    Row row = rs.iterator().next();
    if ("exact".equals(q.count())) return row.getLong(0);
    // EXPLAIN (FORMAT JSON): the planner's row estimate of the top plan node, as PostgREST does.
    Object plan = row.getValue(0);
    io.vertx.core.json.JsonArray arr = plan instanceof io.vertx.core.json.JsonArray a ? a
        : new io.vertx.core.json.JsonArray(plan.toString());
    return arr.getJsonObject(0).getJsonObject("Plan").getNumber("Plan Rows").longValue();
  }

  private Buffer keysetBody(PageQuery q, RowSet<Row> rs) {
    Buffer out = Buffer.buffer(256 + rs.size() * 160).appendString("{\"data\":");
    Row last = writeRows(out, q, rs, q.limit());
    out.appendString(",\"next\":");
    if (rs.size() > q.limit() && last != null) {
      List<Object> values = new ArrayList<>();
      int keysFrom = JsonRows.width(q.selection());
      for (int i = 0; i < q.order().keys().size(); i++) values.add(last.getValue(keysFrom + i));
      out.appendByte((byte) '"').appendString(Cursor.encode(q.resource().name(), q.order(), q.filters(), values)).appendByte((byte) '"');
    } else {
      out.appendString("null");
    }
    return out.appendByte((byte) '}');
  }

  private static Buffer offsetBody(PageQuery q, RowSet<Row> rs, Long total) {
    Buffer out = Buffer.buffer(256 + rs.size() * 160).appendString("{\"data\":");
    writeRows(out, q, rs, Integer.MAX_VALUE);
    out.appendString(",\"page\":").appendString(String.valueOf(q.page()))
        .appendString(",\"limit\":").appendString(String.valueOf(q.limit()))
        .appendString(",\"total\":").appendString(total == null ? "null" : total.toString())
        .appendString(",\"totalPages\":")
        .appendString(total == null ? "null" : String.valueOf((total + q.limit() - 1) / q.limit()));
    return out.appendByte((byte) '}');
  }

  /** Writes up to {@code max} rows as a JSON array; returns the last row written. */
  private static Row writeRows(Buffer out, PageQuery q, RowSet<Row> rs, int max) {
    Row last = null;
    try (com.fasterxml.jackson.core.JsonGenerator g = JsonRows.generator(out)) {
      g.writeStartArray();
      int n = 0;
      for (Row row : rs) {
        if (n++ == max) break;
        JsonRows.write(g, q.selection(), row, 0);
        last = row;
      }
      g.writeEndArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return last;
  }

  private int parseLimit(String text, int max) {
    if (text == null) return Math.min(limits.defaultLimit(), max);
    int limit = parsePositive("limit", text);
    if (limit > max) throw ApiError.badRequest("limit must be at most " + max + ".");
    return limit;
  }

  static int parseNonNegative(String name, String text) {
    return parseAtLeast(name, text, 0);
  }

  static int parsePositive(String name, String text) {
    return parseAtLeast(name, text, 1);
  }

  private static int parseAtLeast(String name, String text, int min) {
    try {
      int v = Integer.parseInt(text);
      if (v >= min) return v;
    } catch (NumberFormatException ignored) {
      // fall through to the 400
    }
    throw ApiError.badRequest(name + " must be a whole number of at least " + min + ".");
  }
}
