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
  private final Map<BatchKey, Batch> pending = new HashMap<>();
  /**
   * Shapes by resource and select text, parsed once (bounded: select is client-controlled), so a
   * read does not parse its selection nor build its shape key and statement again.
   */
  private final Map<String, Shape> shapes = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Shape> e) {
      return size() > 1000;
    }
  };

  /**
   * What reads of one resource with one select have in common: the selection, its key (the same
   * String each time, so its hash is computed once), statement and embedded resources. Compared by
   * identity: one instance per shape on this event loop.
   */
  static final class Shape {
    final Selection selection;
    final String key;
    final String sql;
    final List<String> embedded;

    Shape(Selection selection) {
      this.selection = selection;
      this.key = selection.shapeKey();
      this.sql = PointSql.select(selection);
      this.embedded = List.copyOf(selection.embeddedResources());
    }
  }

  private record BatchKey(Shape shape, long tenant) {}

  private final class Batch {
    final BatchKey key;
    final Resource resource;
    final Map<Object, List<Promise<Buffer>>> waiters = new LinkedHashMap<>();

    Batch(BatchKey key, Resource resource) {
      this.key = key;
      this.resource = resource;
    }
  }

  PointReader(Catalog catalog, SqlClient client, Context context, int maxBatch) {
    this.catalog = catalog;
    this.client = client;
    this.context = context;
    this.maxBatch = maxBatch;
  }

  /** A parsed point read: which row, which fields. */
  record Plan(Resource resource, Shape shape, Object id) {}

  Plan plan(DataRequest req) {
    Resource r = catalog.require(req.resource());
    String select = req.param("select");
    String name = select == null ? r.name() : r.name() + '\0' + select;
    Shape shape = shapes.get(name);
    if (shape == null) {
      shape = new Shape(Selection.parse(catalog, r, select)); // a bad select throws: nothing is kept
      shapes.put(name, shape);
    }
    try {
      return new Plan(r, shape, r.primaryKeyType().parse(req.id()));
    } catch (RuntimeException e) {
      throw ApiError.badRequest("The id must be " + r.primaryKeyType().describe() + ".");
    }
  }

  Future<Buffer> get(Plan plan, long tenant) {
    Object id = plan.id();
    BatchKey key = new BatchKey(plan.shape(), tenant);
    Batch batch = pending.get(key);
    if (batch == null) {
      batch = new Batch(key, plan.resource());
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
    Tuple params = batch.resource.tenantScoped() ? Tuple.of(ids, batch.key.tenant()) : Tuple.of(ids);
    client.preparedQuery(batch.key.shape().sql).execute(params).onComplete(ar -> {
      if (ar.failed()) {
        batch.waiters.values().forEach(ps -> ps.forEach(p -> p.fail(ar.cause())));
        return;
      }
      Map<Object, Buffer> found = new HashMap<>();
      for (Row row : ar.result()) found.put(row.getValue(0), JsonRows.encode(batch.key.shape().selection, row, 1));
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
    // The usual key type without reflection; any other through the array type of its class.
    if (first instanceof Long) return ids.toArray(new Long[0]);
    Object arr = Array.newInstance(first.getClass(), ids.size());
    int i = 0;
    for (Object id : ids) Array.set(arr, i++, id);
    return (Object[]) arr;
  }
}
