package dev.sluice.data;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import dev.sluice.sql.Cursor;
import dev.sluice.sql.PageQuery;
import dev.sluice.sql.PageSql;
import dev.sluice.sql.SelectList;
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
  private final Catalog catalog;
  private final SluiceConfig.Reads limits;
  private final SqlClient client;
  /** Uncached keyset pages asked for twice in one turn run once (see SameTurnReads). */
  private final SameTurnReads<Buffer> sameTurn;

  PageReader(Catalog catalog, SluiceConfig.Reads limits, SqlClient client, io.vertx.core.Context context) {
    this.catalog = catalog;
    this.limits = limits;
    this.client = client;
    this.sameTurn = new SameTurnReads<>(context);
  }

  /** The page's statements; see {@link PageSql}. */
  PageQuery plan(DataRequest req) {
    return PageSql.plan(catalog, limits, req);
  }

  /** Runs a planned page; the total (offset pages with count) comes from {@code counter}, e.g. through a cache. */
  Future<Buffer> execute(PageQuery q, java.util.function.Function<PageQuery, Future<Long>> counter) {
    if (q.page() == null) {
      // The statement and its values determine the body, as for the page cache's key (CachedReads).
      return sameTurn.read(q.sql() + '|' + q.params().canonical() + '|' + q.embedded(),
          () -> client.preparedQuery(q.sql()).execute(q.params().tuple()).map(rs -> keysetBody(q, rs)));
    }
    Future<RowSet<Row>> rows = client.preparedQuery(q.sql()).execute(q.params().tuple());
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
      int keysFrom = SelectList.width(q.selection());
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
}
