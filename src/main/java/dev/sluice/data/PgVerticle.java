package dev.sluice.data;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.bus.DataRequest;
import dev.sluice.bus.LocalCalls;
import dev.sluice.cache.ResponseCache;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import dev.sluice.replica.ReplicaRouter;
import dev.sluice.replica.ReplicaSet;
import dev.sluice.sql.PageQuery;
import dev.sluice.sql.PageSql;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds a pipelined Postgres client (and one per configured streaming replica) and serves the read
 * operations on the event bus, through the shared response cache. Deployed once per event loop by
 * default: the event bus spreads bus consumers' requests over the instances, HTTP requests call
 * the instance on their own loop in-process ({@link LocalCalls}), and each instance's client and
 * point-read coalescer live on that instance's event loop.
 */
public final class PgVerticle extends VerticleBase {
  private final SluiceConfig config;
  private final Catalog catalog;
  private final ResponseCache cache;
  private final ReplicaSet replicas;
  private SqlClient client;
  /** The point-read clients and the replicas' clients, closed with the verticle. */
  private final List<SqlClient> otherClients = new ArrayList<>();

  public PgVerticle(SluiceConfig config, Catalog catalog, ResponseCache cache, ReplicaSet replicas) {
    this.config = config;
    this.catalog = catalog;
    this.cache = cache;
    this.replicas = replicas;
  }

  @Override
  public Future<?> start() {
    client = Database.pageClient(vertx, config.pg(), config.pg().url());
    SqlClient points = Database.pointClient(vertx, config.pg(), config.pg().url());
    otherClients.add(points);
    ReadSource primary = source(client, points);
    List<ReadSource> onReplicas = new ArrayList<>();
    for (String url : config.pg().replicas().urls()) {
      SqlClient replica = Database.pageClient(vertx, config.pg(), url);
      SqlClient replicaPoints = Database.pointClient(vertx, config.pg(), url);
      otherClients.add(replica);
      otherClients.add(replicaPoints);
      onReplicas.add(source(replica, replicaPoints));
    }
    PageReader pages = primary.pages();
    CachedReads reads = new CachedReads(cache, new ReplicaRouter<>(replicas, primary, onReplicas));
    EventBus bus = vertx.eventBus();
    ApiKeys keys = config.apiKeys();
    // HTTP requests on this event loop call the same operations in-process (see LocalCalls).
    LocalCalls local = LocalCalls.of(vertx);
    local.register(Addresses.READ, reads::page);
    local.register(Addresses.GET, reads::get);
    return Future.all(
        BusService.serveReplies(bus, Addresses.READ, keys, reads::page),
        BusService.serveReplies(bus, Addresses.GET, keys, reads::get),
        BusService.serve(bus, Addresses.ADMIN_EXPLAIN, keys, req -> explain(pages, req)),
        bus.consumer(Addresses.HEALTH_PG, msg -> client.query("SELECT 1").execute()
            .onSuccess(rs -> msg.reply(new JsonObject().put("ok", true)))
            .onFailure(err -> msg.reply(new JsonObject().put("ok", false)))).completion());
  }

  private ReadSource source(SqlClient pageSql, SqlClient pointSql) {
    return new ReadSource(new PageReader(catalog, config.reads(), pageSql, context),
        new PointReader(catalog, pointSql, context, config.reads().coalesceMaxBatch()));
  }

  /**
   * The plan of the page the same query parameters would read: the SQL the gateway would run (its
   * values stay $n parameters), and PostgreSQL's EXPLAIN, with ANALYZE when asked. Admin only.
   */
  private Future<Buffer> explain(PageReader pages, DataRequest req) {
    JsonObject query = req.query().copy();
    boolean analyze = "true".equals(query.remove("analyze"));
    PageQuery q = pages.plan(new DataRequest(req.resource(), req.tenant(), null, query, null, true));
    return client.preparedQuery(PageSql.explain(q, analyze)).execute(q.params().tuple())
        .map(rs -> new JsonObject()
            .put("resource", q.resource().name())
            .put("sql", q.sql())
            .put("parameters", q.params().size())
            .put("analyze", analyze)
            .put("plan", rs.iterator().next().getValue(0))
            .toBuffer());
  }

  @Override
  public Future<?> stop() {
    LocalCalls local = LocalCalls.of(vertx);
    local.unregister(Addresses.READ);
    local.unregister(Addresses.GET);
    List<Future<Void>> closing = new ArrayList<>();
    if (client != null) closing.add(client.close());
    otherClients.forEach(c -> closing.add(c.close()));
    return Future.join(closing);
  }
}
