package dev.sluice.data;

import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.cache.CacheSpec;
import dev.sluice.cache.ResponseCache;
import dev.sluice.replica.ReplicaRouter;
import dev.sluice.sql.PageQuery;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

import java.util.List;
import java.util.function.Supplier;

/**
 * Reads through the cache: point reads as entities, pages as query results keyed by their exact
 * SQL and parameters (tenant included), and exact/estimated totals as counts. The data path calls
 * the cache library directly rather than over the event bus: a hot read is then answered from this
 * node's memory, with no network round trip, hop or copy. (Other consumers use the cache verticle's addresses.) What the
 * cache misses goes to the server the {@link ReplicaRouter} picks: the primary or a streaming replica
 * that has the reader's own writes, so a value filled from a replica is never older than the
 * write that made the cache forget the previous one.
 */
final class CachedReads {
  private final ResponseCache cache;
  private final ReplicaRouter<ReadSource> router;
  private final PageReader pages;
  private final PointReader points;

  CachedReads(ResponseCache cache, ReplicaRouter<ReadSource> router) {
    this.cache = cache;
    this.router = router;
    // Plans do not depend on the server: the primary's readers make them.
    this.pages = router.primary().pages();
    this.points = router.primary().points();
  }

  Future<DataReply> get(DataRequest req) {
    PointReader.Plan plan = points.plan(req);
    long tenant = req.tenant();
    Supplier<Future<Buffer>> load = () -> router.read(tenant, s -> s.points().get(plan, tenant));
    if (req.noCache()) return load.get().map(json -> new DataReply(json, "miss"));
    String resource = plan.resource().name();
    CacheSpec spec = cache.keys().entity(resource, cache.scope(resource, req.tenant()), plan.id(),
        plan.shape().key, plan.shape().embedded, plan.resource().cacheTtlSeconds());
    return cache.read(spec, req.noCache(), load).map(CachedReads::reply);
  }

  Future<DataReply> page(DataRequest req) {
    PageQuery q = pages.plan(req);
    long tenant = req.tenant();
    if (req.noCache()) {
      return router.read(tenant, s -> s.pages().execute(q, cq -> router.read(tenant, c -> c.pages().count(cq))))
          .map(json -> new DataReply(json, "miss"));
    }
    String resource = q.resource().name();
    long scope = cache.scope(resource, req.tenant());
    int ttl = q.resource().cacheTtlSeconds();
    // The SQL and its values say everything about the rows; the count mode changes the body too.
    CacheSpec spec = cache.keys().query("page", resource, scope,
        q.sql() + "|count=" + q.count(), q.params().canonical(), q.embedded(), ttl);
    return cache.read(spec, req.noCache(), () -> router.read(tenant, s -> s.pages().execute(q, cq -> {
      CacheSpec countSpec = cache.keys().query("count", resource, scope,
          cq.countSql(), cq.countParams().canonical(), List.of(), ttl);
      return cache.read(countSpec, req.noCache(),
              () -> router.read(tenant, c -> c.pages().count(cq)).map(n -> Buffer.buffer(String.valueOf(n))))
          .map(r -> Long.parseLong(r.value().toString()));
    }))).map(CachedReads::reply);
  }

  private static DataReply reply(ResponseCache.Result r) {
    return new DataReply(r.value(), r.hit() ? "hit" : "miss");
  }
}
