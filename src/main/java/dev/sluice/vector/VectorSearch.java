package dev.sluice.vector;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.embed.Embeddings;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs searches. A search with the configured knobs is one statement on the pooled client,
 * whose connections got those knobs as their session defaults when they connected
 * ({@link VectorClients}). A search with knobs of its own (efSearch, probes, exact) runs in a
 * transaction of its own on the pool: {@code set_config(name, $n, true)} (SET LOCAL, with the
 * value bound) and the search, pipelined on the connection, then COMMIT or ROLLBACK; either way
 * the setting ends with the transaction, so the next user of that connection sees the default.
 */
final class VectorSearch {
  private final Catalog catalog;
  private final VectorSettings settings;
  private final VectorIndexes.Columns columns;
  private final SqlClient client;
  private final Pool pool;
  private final Embeddings embeddings;
  /** Set by every search in its own transaction when no session carries them (behind PgBouncer); else empty. */
  private final List<Setting> sessionKnobs;

  VectorSearch(Catalog catalog, VectorSettings settings, VectorIndexes.Columns columns, SqlClient client, Pool pool,
               Embeddings embeddings, List<Setting> sessionKnobs) {
    this.embeddings = embeddings;
    this.catalog = catalog;
    this.settings = settings;
    this.columns = columns;
    this.client = client;
    this.pool = pool;
    this.sessionKnobs = sessionKnobs;
  }

  /** One session setting for one query: a GUC name (a constant of this class) and its value. */
  record Setting(String name, String value) {}

  Future<Buffer> search(DataRequest req) {
    SearchRequest q = SearchRequest.search(catalog, columns, settings, req);
    return withVector(q).compose(ready -> {
      SearchSql.Statement s = ready.hybrid() != null ? SearchSql.hybrid(ready, SearchSql.textQuery(ready.text()))
          : SearchSql.search(ready);
      return run(ready, s);
    }).map(VectorSearch::body);
  }

  /** The request with its query vector: the one sent, or its text embedded on the worker pool (or from the cache). */
  private Future<SearchRequest> withVector(SearchRequest q) {
    if (q.vector() != null) return Future.succeededFuture(q);
    int max = embeddings.settings().maxTextChars();
    if (q.text().length() > max) {
      throw ApiError.badRequest("text has " + q.text().length() + " characters; at most " + max + " are embedded.",
          new io.vertx.core.json.JsonObject().put("field", "text").put("reason", "too_long").put("max", max));
    }
    return embeddings.embed(q.column().spec().model(), q.text()).map(q::withVector);
  }

  Future<Buffer> similar(DataRequest req) {
    SearchRequest q = SearchRequest.similar(catalog, columns, settings, req);
    SearchSql.Statement s = SearchSql.similar(q);
    return run(q, s).compose(rows -> {
      if (rows.size() > 0) return Future.succeededFuture(body(rows));
      // No neighbours: either the row is not there (or is another tenant's), or nothing else matched.
      SearchSql.Statement e = SearchSql.exists(q);
      return client.preparedQuery(e.sql()).execute(e.params().tuple()).map(found -> {
        if (found.size() == 0) throw ApiError.notFound("No " + q.resource().name() + " with that id.");
        return body(rows);
      });
    });
  }

  /** The statement with the request's knobs: on the pooled client when they are the defaults. */
  Future<RowSet<Row>> run(SearchRequest q, SearchSql.Statement s) {
    List<Setting> knobs = knobs(q);
    Tuple params = s.params().tuple();
    if (knobs.isEmpty() && sessionKnobs.isEmpty()) return client.preparedQuery(s.sql()).execute(params);
    return withKnobs(knobs, conn -> conn.preparedQuery(s.sql()).execute(params));
  }

  /** The settings this query needs beyond the session defaults; empty for the common case. */
  List<Setting> knobs(SearchRequest q) {
    List<Setting> out = new ArrayList<>(1);
    if (q.exact()) {
      out.add(new Setting("enable_indexscan", "off"));
      return out;
    }
    VectorIndexes.Index index = q.index();
    if (index == null) return out;
    if (index.hnsw()) {
      int ef = q.efSearch() == null ? settings.efSearch().dflt() : q.efSearch();
      // Without iterative scans an HNSW scan yields at most ef_search rows: ask for at least the rows wanted.
      if (settings.iterativeScan().equals("off")) {
        ef = Math.min(VectorSettings.EF_SEARCH_LIMIT,
            Math.max(ef, q.hybrid() != null ? SearchSql.hybridDepth(q) : q.candidates()));
      }
      if (ef != settings.efSearch().dflt()) out.add(new Setting("hnsw.ef_search", Integer.toString(ef)));
    } else {
      int probes = q.probes() == null ? settings.probes().dflt() : q.probes();
      if (probes != settings.probes().dflt()) out.add(new Setting("ivfflat.probes", Integer.toString(probes)));
    }
    return out;
  }

  /**
   * Runs {@code work} in a transaction of its own whose settings are {@code knobs} (SET LOCAL through
   * set_config with is_local = true, values bound). The settings statement and the work are pipelined
   * on the connection; commit or rollback follows the work's future, and ends the settings with it.
   */
  <T> Future<T> withKnobs(List<Setting> own, Function<SqlConnection, Future<T>> work) {
    List<Setting> knobs = own;
    if (!sessionKnobs.isEmpty()) {
      // The defaults first, then the query's own over them (one set_config per name).
      java.util.Map<String, Setting> merged = new java.util.LinkedHashMap<>();
      for (Setting k : sessionKnobs) merged.put(k.name(), k);
      for (Setting k : own) merged.put(k.name(), k);
      knobs = new ArrayList<>(merged.values());
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    List<Object> values = new ArrayList<>(knobs.size() * 2);
    for (int i = 0; i < knobs.size(); i++) {
      if (i > 0) sql.append(", ");
      sql.append("set_config($").append(2 * i + 1).append(", $").append(2 * i + 2).append(", true)");
      values.add(knobs.get(i).name());
      values.add(knobs.get(i).value());
    }
    String set = sql.toString();
    return pool.withTransaction(conn -> {
      Future<RowSet<Row>> settings = conn.preparedQuery(set).execute(Tuple.from(values));
      Future<T> result = work.apply(conn);
      // A failed SET aborts the transaction, so the work fails too; report the first failure.
      return settings.compose(v -> result);
    });
  }

  private static Buffer body(RowSet<Row> rows) {
    Buffer out = Buffer.buffer(32 + rows.size() * 96).appendString("{\"data\":[");
    int n = 0;
    for (Row row : rows) {
      if (n++ > 0) out.appendByte((byte) ',');
      out.appendString(row.getString(0));
    }
    return out.appendString("]}");
  }
}
