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
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Runs searches, all on one pool of {@code vector.poolSize} connections per verticle, one search
 * per connection at a time (as many backends at work as a baseline with as many clients). A
 * search with the configured knobs is one statement: the connections got those knobs as their
 * session defaults when they connected ({@link VectorClients}). A search with knobs of its own
 * (efSearch, probes, exact) runs in a transaction of its own on a connection of the same pool:
 * BEGIN, {@code set_config(name, $n, true)} (SET LOCAL, with the value bound), the search and
 * COMMIT, all written at once; the setting ends with the transaction, so the next user of that
 * connection sees the default.
 */
final class VectorSearch {
  private final Catalog catalog;
  private final VectorSettings settings;
  private final VectorIndexes.Columns columns;
  private final Pool pool;
  private final Embeddings embeddings;
  /** Set by every search in its own transaction when no session carries them (behind PgBouncer); else empty. */
  private final List<Setting> sessionKnobs;

  VectorSearch(Catalog catalog, VectorSettings settings, VectorIndexes.Columns columns, Pool pool,
               Embeddings embeddings, List<Setting> sessionKnobs) {
    this.embeddings = embeddings;
    this.catalog = catalog;
    this.settings = settings;
    this.columns = columns;
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
      return pool.preparedQuery(e.sql()).execute(e.params().tuple()).map(found -> {
        if (found.size() == 0) throw ApiError.notFound("No " + q.resource().name() + " with that id.");
        return body(rows);
      });
    });
  }

  /** The statement with the request's knobs: a statement of its own when they are the session's defaults. */
  Future<RowSet<Row>> run(SearchRequest q, SearchSql.Statement s) {
    List<Setting> knobs = knobs(q);
    Tuple params = s.params().tuple();
    if (knobs.isEmpty() && sessionKnobs.isEmpty()) return pool.preparedQuery(s.sql()).execute(params);
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
   * set_config with is_local = true, values bound), on one connection of the pool. BEGIN, the
   * settings, the work's statement and COMMIT are written together: one round trip. (Vert.x's
   * withTransaction waits for BEGIN's answer before the work and for the work's before COMMIT, three
   * round trips; with the transaction pool of two connections it held, a search that named its
   * efSearch got half the throughput of one that did not.) A failed statement aborts the
   * transaction, so COMMIT ends it as a rollback; either way the settings end with it, and the
   * connection goes back to the pool after COMMIT's answer, with its session defaults.
   * {@code work} must send its statements when called (not after an answer), so they come before COMMIT.
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
    return pool.withConnection(conn -> {
      Future<RowSet<Row>> begin = conn.query("BEGIN").execute();
      Future<RowSet<Row>> settings = conn.preparedQuery(set).execute(Tuple.from(values));
      Future<T> result;
      try {
        result = work.apply(conn);
      } catch (RuntimeException e) {
        result = Future.failedFuture(e); // COMMIT still follows BEGIN: no connection goes back inside a transaction
      }
      Future<RowSet<Row>> commit = conn.query("COMMIT").execute();
      // The first failure is the answer (a failed SET aborts the transaction, so the work fails too).
      Future<T> answer = result;
      return Future.join(begin, settings, answer, commit).transform(done -> {
        for (Future<?> f : List.of(begin, settings, answer, commit)) {
          if (f.failed()) return Future.failedFuture(f.cause());
        }
        return answer;
      });
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
