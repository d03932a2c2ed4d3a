package dev.sluice.data;

import dev.sluice.sql.PointSql;
import dev.sluice.sql.Selection;
import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Point reads with coalescing (the DataLoader pattern of the guides): concurrent reads of one
 * resource, tenant and field selection that arrive in the same event-loop turn are answered by one
 * {@code WHERE pk = ANY($1)} statement, each caller receiving exactly its own row or a 404.
 * The window is one turn of this verticle's event loop, and a batch is flushed early at maxBatch.
 * Runs on one event loop (its verticle's), so the pending map needs no locking.
 */
final class PointReader {
  private final Catalog catalog;
  private final SqlClient client;
  private final Context context;
  private final int maxBatch;
  private final Map<String, Batch> pending = new HashMap<>();
  /** Statement text per selection shape, built once (bounded: select is client-controlled). */
  private final Map<String, String> sqlByShape = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> e) {
      return size() > 1000;
    }
  };

  private final class Batch {
    final String sql;
    final Resource resource;
    final long tenant;
    final Selection selection;
    final Map<Object, List<Promise<Buffer>>> waiters = new LinkedHashMap<>();
    final String key;

    Batch(String key, String sql, Resource resource, Selection selection, long tenant) {
      this.key = key;
      this.selection = selection;
      this.sql = sql;
      this.resource = resource;
      this.tenant = tenant;
    }
  }

  PointReader(Catalog catalog, SqlClient client, Context context, int maxBatch) {
    this.catalog = catalog;
    this.client = client;
    this.context = context;
    this.maxBatch = maxBatch;
  }

  /** A parsed point read: which row, which fields. */
  record Plan(Resource resource, Selection selection, Object id) {}

  Plan plan(DataRequest req) {
    Resource r = catalog.require(req.resource());
    Selection sel = Selection.parse(catalog, r, req.param("select"));
    try {
      return new Plan(r, sel, r.primaryKeyType().parse(req.id()));
    } catch (RuntimeException e) {
      throw ApiError.badRequest("The id must be " + r.primaryKeyType().describe() + ".");
    }
  }

  Future<Buffer> get(Plan plan, long tenant) {
    Resource r = plan.resource();
    Selection sel = plan.selection();
    Object id = plan.id();
    String shape = sel.shapeKey();
    String sql = sqlByShape.computeIfAbsent(shape, s -> PointSql.select(sel));
    String key = shape + '#' + tenant;
    Batch batch = pending.get(key);
    if (batch == null) {
      batch = new Batch(key, sql, r, sel, tenant);
      pending.put(key, batch);
      Batch scheduled = batch;
      context.runOnContext(v -> flush(scheduled));
    }
    Promise<Buffer> promise = Promise.promise();
    batch.waiters.computeIfAbsent(id, k -> new ArrayList<>(1)).add(promise);
    if (batch.waiters.size() >= maxBatch) flush(batch);
    return promise.future();
  }

  private void flush(Batch batch) {
    if (pending.get(batch.key) != batch) return; // already flushed (size limit reached earlier)
    pending.remove(batch.key);
    Object[] ids = toArray(batch.waiters.keySet());
    Tuple params = batch.resource.tenantScoped() ? Tuple.of(ids, batch.tenant) : Tuple.of(ids);
    client.preparedQuery(batch.sql).execute(params).onComplete(ar -> {
      if (ar.failed()) {
        batch.waiters.values().forEach(ps -> ps.forEach(p -> p.fail(ar.cause())));
        return;
      }
      Map<Object, Buffer> found = new HashMap<>();
      for (Row row : ar.result()) found.put(row.getValue(0), JsonRows.encode(batch.selection, row, 1));
      batch.waiters.forEach((id, ps) -> {
        Buffer json = found.get(id);
        for (Promise<Buffer> p : ps) {
          if (json != null) p.complete(json);
          else p.fail(ApiError.notFound("No " + batch.resource.name() + " with that id."));
        }
      });
    });
  }

  private static Object[] toArray(java.util.Collection<Object> ids) {
    Object first = ids.iterator().next();
    Object arr = Array.newInstance(first.getClass(), ids.size());
    int i = 0;
    for (Object id : ids) Array.set(arr, i++, id);
    return (Object[]) arr;
  }
}
