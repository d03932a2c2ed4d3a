package dev.sluice.vector;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.bus.LocalCalls;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import dev.sluice.embed.Embeddings;
import dev.sluice.replica.ReplicaRouter;
import dev.sluice.replica.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Serves vector search on the event bus: {@code sluice.search}, {@code sluice.similar} and the
 * admin report {@code sluice.admin.vector}, for the HTTP verticle and JSON consumers alike; HTTP
 * requests on this verticle's event loop call search and similar in-process ({@link LocalCalls}:
 * the bus hop was about a tenth of the gateway's CPU per search). Deployed as
 * {@code vector.instances} instances (one per event loop by default), each with its own search
 * pool (searches with the default knobs and, in transactions of their own, those with knobs of
 * their own). Start-up
 * inspects the ANN indexes again (after a demo load rebuilt them) and fails the deployment when a
 * column's index does not serve its metric. With streaming replicas, each instance holds the same
 * pool per replica, and searches go where the {@link ReplicaRouter} sends them.
 */
public final class VectorVerticle extends VerticleBase {
  /** Admin: per vector column, its index, build, size, rows and whether the planner uses it. */
  public static final String ADMIN_VECTOR = "sluice.admin.vector";

  private final SluiceConfig config;
  private final Catalog catalog;
  private final ReplicaSet replicas;
  private final List<SqlClient> clients = new ArrayList<>();
  private final Embeddings embeddings;
  /** The vector columns and their indexes, checked once by the gateway against its schema snapshot. */
  private final VectorIndexes.Columns columns;

  public VectorVerticle(SluiceConfig config, Catalog catalog, VectorIndexes.Columns columns, ReplicaSet replicas,
                        Embeddings embeddings) {
    this.embeddings = embeddings;
    this.columns = columns;
    this.config = config;
    this.catalog = catalog;
    this.replicas = replicas;
  }

  @Override
  public Future<?> start() {
    VectorSettings settings = VectorSettings.from(config);
    Pool pool = VectorClients.pool(vertx, config.pg(), config.pg().url(), settings);
    clients.add(pool);
    EventBus bus = vertx.eventBus();
    ApiKeys keys = config.apiKeys();
    List<VectorSearch.Setting> sessionKnobs = VectorClients.sessionKnobs(config.pg(), settings);
    List<VectorSearch> onReplicas = new ArrayList<>();
    for (String url : config.pg().replicas().urls()) {
      Pool replicaPool = VectorClients.pool(vertx, config.pg(), url, settings);
      clients.add(replicaPool);
      onReplicas.add(new VectorSearch(catalog, settings, columns, replicaPool, embeddings, sessionKnobs));
    }
    ReplicaRouter<VectorSearch> search = new ReplicaRouter<>(replicas,
        new VectorSearch(catalog, settings, columns, pool, embeddings, sessionKnobs), onReplicas);
    VectorAdmin admin = new VectorAdmin(catalog, settings, columns, pool);
    Function<DataRequest, Future<Buffer>> searches = req -> search.read(req.tenant(), s -> s.search(req));
    Function<DataRequest, Future<Buffer>> similar = req -> search.read(req.tenant(), s -> s.similar(req));
    LocalCalls local = LocalCalls.of(vertx);
    local.register(Addresses.SEARCH, req -> searches.apply(req).map(json -> new DataReply(json, null)));
    local.register(Addresses.SIMILAR, req -> similar.apply(req).map(json -> new DataReply(json, null)));
    return Future.all(
        BusService.serve(bus, Addresses.SEARCH, keys, searches),
        BusService.serve(bus, Addresses.SIMILAR, keys, similar),
        BusService.serve(bus, ADMIN_VECTOR, keys, admin::report));
  }

  @Override
  public Future<?> stop() {
    LocalCalls local = LocalCalls.of(vertx);
    local.unregister(Addresses.SEARCH);
    local.unregister(Addresses.SIMILAR);
    List<Future<Void>> closing = new ArrayList<>();
    clients.forEach(c -> closing.add(c.close()));
    return Future.join(closing);
  }
}
