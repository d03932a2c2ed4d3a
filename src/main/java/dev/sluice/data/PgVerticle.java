package dev.sluice.data;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.bus.DataRequest;
import dev.sluice.cache.ResponseCache;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

/**
 * Holds a pipelined Postgres client and serves the read operations on the event bus, through the
 * shared response cache. Deployed as
 * several instances; the event bus spreads requests over them, and each instance's client and
 * point-read coalescer live on that instance's event loop.
 */
public final class PgVerticle extends VerticleBase {
  private final SluiceConfig config;
  private final Catalog catalog;
  private final ResponseCache cache;
  private SqlClient client;

  public PgVerticle(SluiceConfig config, Catalog catalog, ResponseCache cache) {
    this.config = config;
    this.catalog = catalog;
    this.cache = cache;
  }

  @Override
  public Future<?> start() {
    client = Database.pipelinedClient(vertx, config.pg());
    PageReader pages = new PageReader(catalog, config.reads(), client);
    PointReader points = new PointReader(catalog, client, context, config.reads().coalesceMaxBatch());
    CachedReads reads = new CachedReads(cache, pages, points);
    EventBus bus = vertx.eventBus();
    ApiKeys keys = config.apiKeys();
    return Future.all(
        BusService.serveReplies(bus, Addresses.READ, keys, reads::page),
        BusService.serveReplies(bus, Addresses.GET, keys, reads::get),
        BusService.serve(bus, Addresses.ADMIN_EXPLAIN, keys, req -> explain(pages, req)),
        bus.consumer(Addresses.HEALTH_PG, msg -> client.query("SELECT 1").execute()
            .onSuccess(rs -> msg.reply(new JsonObject().put("ok", true)))
            .onFailure(err -> msg.reply(new JsonObject().put("ok", false)))).completion());
  }

  /**
   * The plan of the page the same query parameters would read: the SQL the gateway would run (its
   * values stay $n parameters), and PostgreSQL's EXPLAIN, with ANALYZE when asked. Admin only.
   */
  private Future<Buffer> explain(PageReader pages, DataRequest req) {
    JsonObject query = req.query().copy();
    boolean analyze = "true".equals(query.remove("analyze"));
    PageReader.PageQuery q = pages.plan(new DataRequest(req.resource(), req.tenant(), null, query, null, true));
    String options = analyze ? "(ANALYZE, BUFFERS, FORMAT JSON) " : "(FORMAT JSON) ";
    return client.preparedQuery("EXPLAIN " + options + q.sql()).execute(q.params().tuple())
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
    return client == null ? Future.succeededFuture() : client.close();
  }
}
