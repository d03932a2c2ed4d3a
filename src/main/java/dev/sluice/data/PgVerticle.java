package dev.sluice.data;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.cache.ResponseCache;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
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
        bus.consumer(Addresses.HEALTH_PG, msg -> client.query("SELECT 1").execute()
            .onSuccess(rs -> msg.reply(new JsonObject().put("ok", true)))
            .onFailure(err -> msg.reply(new JsonObject().put("ok", false)))).completion());
  }

  @Override
  public Future<?> stop() {
    return client == null ? Future.succeededFuture() : client.close();
  }
}
