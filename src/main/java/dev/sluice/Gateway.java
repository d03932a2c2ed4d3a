package dev.sluice;

import dev.sluice.advice.AdvisorVerticle;
import dev.sluice.bus.RecordCodec;
import dev.sluice.cache.CacheVerticle;
import dev.sluice.cache.ResponseCache;
import dev.sluice.catalog.Catalog;
import dev.sluice.changes.ChangeFeed;
import dev.sluice.catalog.SchemaSnapshot;
import dev.sluice.catalog.SchemaVerifier;
import dev.sluice.catalog.WriteSchema;
import dev.sluice.catalog.WriteTarget;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import dev.sluice.data.Migrator;
import dev.sluice.data.PgVerticle;
import dev.sluice.demo.DemoLoader;
import dev.sluice.embed.EmbeddingSettings;
import dev.sluice.embed.Embeddings;
import dev.sluice.http.AccessControl;
import dev.sluice.http.HttpVerticle;
import dev.sluice.maintenance.MaintenanceVerticle;
import dev.sluice.maintenance.StorageCheck;
import dev.sluice.metrics.Metrics;
import dev.sluice.metrics.MetricsVerticle;
import dev.sluice.replica.ReplicaMonitor;
import dev.sluice.replica.ReplicaSet;
import dev.sluice.vector.VectorIndexes;
import dev.sluice.vector.VectorSettings;
import dev.sluice.vector.VectorVerticle;
import dev.sluice.write.WriteVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Brings a gateway up in order, failing loudly at the first step that fails: migrate, verify the
 * catalog against the live schema (materialized views and partitioned tables included), load demo
 * data if the database is empty, then deploy the metrics, cache, replica monitor (with replicas),
 * Postgres, write, maintenance (views and partitions) and vector verticles, and the
 * HTTP verticle last (it only takes traffic when everything behind it is up). {@link #close}
 * undeploys in reverse, HTTP first, so in-flight requests drain while the data verticles still
 * answer them.
 */
public final class Gateway {
  private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
  /** Change events kept per resource for SSE clients resuming with Last-Event-ID. */
  private static final int CHANGE_BUFFER = 10_000;

  private final Vertx vertx;
  private final SluiceConfig config;
  private final Catalog catalog;
  private final ResponseCache cache;
  private final ChangeFeed feed;
  private final List<String> deployments;
  private final Embeddings embeddings;
  private final AccessControl access;

  private Gateway(Vertx vertx, SluiceConfig config, Catalog catalog, ResponseCache cache, ChangeFeed feed,
                  List<String> deployments, Embeddings embeddings, AccessControl access) {
    this.embeddings = embeddings;
    this.access = access;
    this.vertx = vertx;
    this.config = config;
    this.catalog = catalog;
    this.cache = cache;
    this.feed = feed;
    this.deployments = deployments;
  }

  public static Future<Gateway> start(Vertx vertx, SluiceConfig config, Metrics metrics) {
    PrometheusMeterRegistry registry = metrics.registry();
    RecordCodec.registerAll(vertx.eventBus());
    Pool maintenance = Database.maintenancePool(vertx, config.pg());
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicReference<Embeddings> embeddings = new java.util.concurrent.atomic.AtomicReference<>();
    return Migrator.migrate(vertx, config.pg())
        .compose(n -> {
          if (n > 0) LOG.info("applied " + n + " migration(s)");
          // The one read of the schema: the catalog, the write targets and the vector indexes are checked against it.
          return SchemaSnapshot.read(maintenance, SchemaVerifier.tables(config.resources()));
        })
        .map(schema -> Schema.of(config, schema))
        .compose(schema -> StorageCheck.verify(maintenance, schema.catalog()).map(schema))
        .compose(schema -> DemoLoader.loadIfEmpty(vertx, maintenance, config.demo()).map(schema))
        .compose(schema -> databaseIdentity(maintenance).map(id -> new Object[] {schema, id}))
        .eventually(maintenance::close)
        .compose(started -> {
          Schema schema = (Schema) started[0];
          Catalog catalog = schema.catalog();
          ResponseCache cache = new ResponseCache(vertx, config, catalog, registry, (String) started[1]);
          ChangeFeed feed = new ChangeFeed(vertx, List.copyOf(catalog.all().keySet()), CHANGE_BUFFER);
          ReplicaSet replicas = replicaSet(config.pg());
          return feed.start().compose(x -> Embeddings.start(vertx, EmbeddingSettings.from(config), registry, models(catalog)))
              .onSuccess(embeddings::set)
              .compose(x -> deploy(vertx, ids, () -> new MetricsVerticle(metrics, config, catalog.all().keySet()), 1)
              .compose(v -> deploy(vertx, ids, () -> new CacheVerticle(cache, config.apiKeys()), 1))
              .compose(v -> deploy(vertx, ids, () -> new AdvisorVerticle(config, catalog, registry), 1))
              .compose(v -> replicas.size() == 0 ? Future.<Void>succeededFuture()
                  : deploy(vertx, ids, () -> new ReplicaMonitor(config.pg(), replicas, registry), 1))
              .compose(v -> deploy(vertx, ids, () -> new PgVerticle(config, catalog, cache, replicas), config.pg().instances()))
              .compose(v -> deploy(vertx, ids, () -> new WriteVerticle(config, catalog, schema.writeTargets(), replicas, embeddings.get()), config.writes().verticleInstances()))
              .compose(v -> deploy(vertx, ids, () -> new MaintenanceVerticle(config, catalog, cache, replicas, registry), 1))
              .compose(v -> loadDocuments(vertx, config))
              .compose(v -> deploy(vertx, ids, () -> new VectorVerticle(config, catalog, schema.vectorColumns(), replicas, embeddings.get()), VectorSettings.from(config).verticles(config.eventLoops())))
              .compose(v -> AccessControl.start(vertx, config, registry))
              .compose(access -> deploy(vertx, ids, () -> new HttpVerticle(config, registry, catalog, feed, access), config.http().verticles())
                  .onFailure(err -> access.close())
                  .map(v -> new Gateway(vertx, config, catalog, cache, feed, ids, embeddings.get(), access))));
        });
  }

  /**
   * What the verticles are given of the start-up schema snapshot: the catalog checked against it, the
   * write targets and the vector columns. All immutable, shared by every instance on every event loop.
   */
  private record Schema(Catalog catalog, Map<String, WriteTarget> writeTargets, VectorIndexes.Columns vectorColumns) {
    static Schema of(SluiceConfig config, SchemaSnapshot snapshot) {
      Catalog catalog = SchemaVerifier.build(config.resources(), snapshot);
      VectorIndexes.Columns vectors = VectorIndexes.check(catalog, VectorSettings.from(config), snapshot);
      return new Schema(catalog, WriteSchema.targets(catalog, snapshot), vectors);
    }
  }

  /**
   * Names this database incarnation (its oid and the server's start time), so cached values of a
   * dropped and recreated database, or of another cluster, can never be served for this one.
   */
  private static Future<String> databaseIdentity(Pool pool) {
    return pool.query("SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text || '-' "
            + "|| floor(extract(epoch FROM pg_postmaster_start_time()))::bigint::text").execute()
        .map(rs -> rs.iterator().next().getString(0));
  }

  private static ReplicaSet replicaSet(SluiceConfig.Pg pg) {
    if (pg.replicas().urls().isEmpty()) return ReplicaSet.NONE;
    List<String> names = pg.replicas().urls().stream().map(Database::serverName).toList();
    LOG.info("reads go to " + names.size() + " streaming replica(s) when they are in step: " + String.join(", ", names));
    return new ReplicaSet(names, pg.replicas().maxLagMs(), pg.replicas().pollMs(), System::currentTimeMillis);
  }

  /** The embedding models the catalog's vector columns name (loaded once, at start). */
  private static java.util.Set<String> models(Catalog catalog) {
    java.util.Set<String> out = new java.util.TreeSet<>();
    catalog.all().values().forEach(r -> r.vectors().values().forEach(v -> {
      if (v.model() != null) out.add(v.model());
    }));
    return out;
  }

  /** The demo documents go through the bulk write path, so they wait for the write verticles. */
  private static Future<Void> loadDocuments(Vertx vertx, SluiceConfig config) {
    Pool pool = Database.maintenancePool(vertx, config.pg());
    return DemoLoader.loadDocumentsIfEmpty(vertx, pool, config.demo()).eventually(pool::close);
  }

  private static Future<Void> deploy(Vertx vertx, List<String> ids, Supplier<? extends io.vertx.core.Deployable> verticle,
                                     int instances) {
    return vertx.deployVerticle(verticle, new DeploymentOptions().setInstances(instances))
        .onSuccess(ids::add)
        .mapEmpty();
  }

  /** Undeploys in reverse order of deployment: HTTP first, so in-flight requests drain. */
  public Future<Void> close() {
    Future<Void> f = Future.succeededFuture();
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    for (String id : reversed) {
      f = f.compose(v -> vertx.undeploy(id).otherwise(err -> null));
    }
    return f.compose(v -> feed.close()).compose(v -> embeddings.close()).onComplete(v -> {
      cache.close();
      access.close();
    });
  }

  public SluiceConfig config() {
    return config;
  }

  public Catalog catalog() {
    return catalog;
  }

  public ChangeFeed feed() {
    return feed;
  }

  public AccessControl access() {
    return access;
  }

  public ResponseCache cache() {
    return cache;
  }
}
