package dev.sluice.vector;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;

/**
 * Serves vector search on the event bus: {@code sluice.search}, {@code sluice.similar} and the
 * admin report {@code sluice.admin.vector}, for the HTTP verticle and JSON consumers alike.
 * Deployed as {@code vector.instances} instances, each with its own pooled client (searches
 * with the default knobs) and transaction pool (searches with knobs of their own). Start-up
 * inspects the ANN indexes again (after a demo load rebuilt them) and fails the deployment when a
 * column's index does not serve its metric.
 */
public final class VectorVerticle extends VerticleBase {
  /** Admin: per vector column, its index, build, size, rows and whether the planner uses it. */
  public static final String ADMIN_VECTOR = "sluice.admin.vector";

  private final SluiceConfig config;
  private final Catalog catalog;
  private SqlClient client;
  private Pool pool;

  public VectorVerticle(SluiceConfig config, Catalog catalog) {
    this.config = config;
    this.catalog = catalog;
  }

  @Override
  public Future<?> start() {
    VectorSettings settings = VectorSettings.from(config);
    client = VectorClients.client(vertx, config.pg(), settings);
    pool = VectorClients.pool(vertx, config.pg(), settings, settings.txPoolSize());
    EventBus bus = vertx.eventBus();
    ApiKeys keys = config.apiKeys();
    return VectorIndexes.verify(client, catalog, settings).compose(columns -> {
      VectorSearch search = new VectorSearch(catalog, settings, columns, client, pool);
      VectorAdmin admin = new VectorAdmin(catalog, settings, columns, client);
      return Future.all(
          BusService.serve(bus, Addresses.SEARCH, keys, search::search),
          BusService.serve(bus, Addresses.SIMILAR, keys, search::similar),
          BusService.serve(bus, ADMIN_VECTOR, keys, admin::report));
    });
  }

  @Override
  public Future<?> stop() {
    Future<Void> c = client == null ? Future.succeededFuture() : client.close();
    Future<Void> p = pool == null ? Future.succeededFuture() : pool.close();
    return Future.join(c, p);
  }
}
