package dev.sluice.maintenance;

import dev.sluice.bus.BusService;
import dev.sluice.bus.DataRequest;
import dev.sluice.cache.ResponseCache;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.MaintenanceSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import dev.sluice.replica.CommitFence;
import dev.sluice.replica.ReplicaSet;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Scheduled database maintenance of the catalog's materialized views and time-partitioned tables,
 * one instance per gateway on a small pool of its own. Every {@code maintenance.intervalSeconds} it
 * keeps each partitioned table's partitions (created ahead, retired past retention) and refreshes
 * each view that is older than its {@code refreshSeconds}; advisory locks make several gateways
 * take turns rather than repeat each other's work. The first partition pass runs before the
 * gateway takes traffic, so writes into today's partition work from the start.
 *
 * <p>Admins also ask for it on the bus ({@link #ADMIN_REFRESH}, {@link #ADMIN_PARTITIONS}: resource
 * = the view or table) and see its state ({@link #ADMIN_MAINTENANCE}). After a refresh commits, reads
 * wait for replicas that have it (a fence, as after a write) and the view's refresh generation in the
 * cache moves, so no gateway serves the old rows afterwards.
 * Metrics: {@code sluice_view_refresh_seconds{resource}} (refreshes this gateway ran),
 * {@code sluice_view_age_seconds{resource}} (how old the view's data are, whoever refreshed it),
 * {@code sluice_view_generation{resource}}, {@code sluice_partitions{resource}},
 * {@code sluice_partition_creations_total} and {@code sluice_partition_retirements_total} (not
 * "partitions_created": the Prometheus client reads a {@code _created} suffix as a counter's
 * creation time and would clash with the {@code sluice_partitions} gauge).
 */
public final class MaintenanceVerticle extends VerticleBase {
  public static final String ADMIN_REFRESH = "sluice.admin.refresh";
  public static final String ADMIN_PARTITIONS = "sluice.admin.partitions";
  public static final String ADMIN_MAINTENANCE = "sluice.admin.maintenance";
  private static final Logger LOG = Logger.getLogger(MaintenanceVerticle.class.getName());

  /** Per view: the last known refresh (from the database, so every gateway reports the same age). */
  private static final class ViewState {
    volatile long generation = -1;
    volatile long refreshedAtMs = -1;
  }

  private final SluiceConfig config;
  private final Catalog catalog;
  private final ResponseCache cache;
  private final MeterRegistry registry;
  private final ReplicaSet replicas;
  private CommitFence fence;
  private final MaintenanceSettings settings;
  private final List<Resource> views = new ArrayList<>();
  private final List<Resource> partitioned = new ArrayList<>();
  private final Map<String, ViewState> viewStates = new LinkedHashMap<>();
  private final Map<String, int[]> partitionCounts = new LinkedHashMap<>();
  private Pool pool;
  private ViewRefresher refresher;
  private PartitionKeeper keeper;
  private long timer = -1;
  private boolean running;

  public MaintenanceVerticle(SluiceConfig config, Catalog catalog, ResponseCache cache, ReplicaSet replicas,
                             MeterRegistry registry) {
    this.config = config;
    this.catalog = catalog;
    this.cache = cache;
    this.replicas = replicas;
    this.registry = registry;
    this.settings = MaintenanceSettings.from(config);
    for (Resource r : catalog.all().values()) {
      if (r.view() != null) views.add(r);
      if (r.partitioning() != null) partitioned.add(r);
    }
  }

  @Override
  public Future<?> start() {
    pool = PgBuilder.pool()
        .with(Database.poolOptions(config.pg(), 2, "sluice-maintenance-jobs"))
        // Straight to PostgreSQL, like migrations: its session settings (lock_timeout) are refused by
        // PgBouncer in transaction mode, and refreshes and DDL want no pooler in between.
        .connectingTo(Database.connectOptions(config.pg(), Database.directUrl(config.pg()), settings.statementTimeoutMs())
            .addProperty("lock_timeout", String.valueOf(settings.lockTimeoutMs())))
        .using(vertx)
        .build();
    refresher = new ViewRefresher(pool);
    keeper = new PartitionKeeper(pool);
    fence = new CommitFence(replicas, pool, vertx.eventBus());
    registerMeters();
    Future<Void> registered = Future.succeededFuture();
    for (Resource v : views) registered = registered.compose(x -> refresher.register(v));
    return Future.all(
            BusService.serve(vertx.eventBus(), ADMIN_REFRESH, config.apiKeys(), this::refreshNow),
            BusService.serve(vertx.eventBus(), ADMIN_PARTITIONS, config.apiKeys(), this::partitionsNow),
            BusService.serve(vertx.eventBus(), ADMIN_MAINTENANCE, config.apiKeys(), req -> status()),
            registered)
        .compose(v -> keepPartitions())
        .onSuccess(v -> {
          timer = vertx.setPeriodic(TimeUnit.SECONDS.toMillis(settings.intervalSeconds()), id -> tick());
          // views due now (e.g. never refreshed) are refreshed right after start, not an interval later
          vertx.setTimer(1, id -> pass(this::refreshDue));
        });
  }

  private void registerMeters() {
    for (Resource v : views) {
      ViewState s = new ViewState();
      viewStates.put(v.name(), s);
      Gauge.builder("sluice.view.age", s, st -> st.refreshedAtMs < 0 ? Double.NaN
              : (System.currentTimeMillis() - st.refreshedAtMs) / 1000.0)
          .baseUnit("seconds").tag("resource", v.name())
          .description("How old the materialized view's data are (NaN: never refreshed by a gateway)").register(registry);
      Gauge.builder("sluice.view.generation", s, st -> st.generation).tag("resource", v.name())
          .description("Refreshes of the materialized view so far (its cache generation)").register(registry);
    }
    for (Resource p : partitioned) {
      int[] count = {-1};
      partitionCounts.put(p.name(), count);
      Gauge.builder("sluice.partitions", count, c -> c[0]).tag("resource", p.name())
          .description("Partitions of the table after the last maintenance pass").register(registry);
    }
  }

  private Timer refreshTimer(String resource) {
    return Timer.builder("sluice.view.refresh").tag("resource", resource)
        .description("REFRESH MATERIALIZED VIEW CONCURRENTLY run by this gateway").register(registry);
  }

  /** One scheduled pass; skipped while the previous one still runs. Failures are logged and retried next tick. */
  private void tick() {
    pass(() -> keepPartitions().compose(v -> refreshDue()));
  }

  private void pass(java.util.function.Supplier<Future<Void>> work) {
    if (running) return;
    running = true;
    work.get()
        .compose(v -> readViewStates())
        .onComplete(ar -> {
          running = false;
          if (ar.failed()) LOG.warning("maintenance pass failed: " + ErrorMapper.map(ar.cause()).getMessage());
        });
  }

  private Future<Void> keepPartitions() {
    Future<Void> f = Future.succeededFuture();
    for (Resource r : partitioned) {
      f = f.compose(v -> keeper.keep(r).map(this::recordPartitions)
          .otherwise(err -> {
            LOG.warning("partitions of " + r.name() + " not kept this pass (next tick retries): " + describe(err));
            return null;
          }).mapEmpty());
    }
    return f;
  }

  private Future<Void> refreshDue() {
    Future<Void> f = Future.succeededFuture();
    for (Resource v : views) {
      if (v.view().refreshSeconds() == 0) continue;
      f = f.compose(x -> refresh(v, false).otherwise(err -> {
        LOG.warning("refresh of " + v.name() + " failed (next tick retries): " + describe(err));
        return null;
      }).mapEmpty());
    }
    return f;
  }

  /** Refreshes one view and, when it ran, makes its cached reads unreachable everywhere before completing. */
  private Future<ViewRefresher.Outcome> refresh(Resource view, boolean force) {
    return refresher.refresh(view, force).compose(o -> {
      if (!o.ran()) return Future.succeededFuture(o);
      refreshTimer(view.name()).record(o.durationMs(), TimeUnit.MILLISECONDS);
      ViewState s = viewStates.get(view.name());
      s.generation = o.generation();
      s.refreshedAtMs = o.refreshedAt().toInstant().toEpochMilli();
      LOG.info("refreshed " + view.name() + " (generation " + o.generation() + ", " + o.durationMs() + " ms)");
      // Every tenant's reads wait for a replica that has the refresh (scope 0), before the cache
      // generation moves: a value cached under the new generation is never the old rows.
      return fence.afterCommit(List.of(0L)).compose(v -> cache.invalidateRefresh(view.name())).map(o);
    });
  }

  private Void recordPartitions(PartitionKeeper.Outcome o) {
    if (o.busy()) return null;
    partitionCounts.get(o.resource())[0] = o.partitions();
    if (!o.created().isEmpty()) {
      Counter.builder("sluice.partition.creations").tag("resource", o.resource()).register(registry).increment(o.created().size());
      LOG.info(o.resource() + ": created partitions " + o.created());
    }
    if (!o.retired().isEmpty()) {
      Counter.builder("sluice.partition.retirements").tag("resource", o.resource()).register(registry).increment(o.retired().size());
      LOG.info(o.resource() + ": retired partitions " + o.retired());
    }
    return null;
  }

  /** The views' generations and refresh times as the database has them (another gateway may have refreshed). */
  private Future<Void> readViewStates() {
    if (views.isEmpty()) return Future.succeededFuture();
    return pool.preparedQuery(ViewRefresher.STATE_SQL).execute(Tuple.of((Object) viewNames())).map(rows -> {
      for (Row row : rows) {
        ViewState s = viewStates.get(row.getString(0));
        if (s == null) continue;
        s.generation = row.getLong(1);
        OffsetDateTime at = row.getOffsetDateTime(2);
        s.refreshedAtMs = at == null ? -1 : at.toInstant().toEpochMilli();
      }
      return null;
    });
  }

  private String[] viewNames() {
    return views.stream().map(Resource::name).toArray(String[]::new);
  }

  // ---- admin requests ----

  private Future<Buffer> refreshNow(DataRequest req) {
    Resource r = catalog.require(req.resource());
    if (r.view() == null) throw ApiError.badRequest("'" + r.name() + "' is not a materialized view.");
    return refresh(r, true).map(o -> {
      if (o.busy()) {
        throw new ApiError(409, "conflict", "A refresh of '" + r.name() + "' is running on another gateway; retry shortly.");
      }
      return o.toJson().toBuffer();
    });
  }

  private Future<Buffer> partitionsNow(DataRequest req) {
    Resource r = catalog.require(req.resource());
    if (r.partitioning() == null) throw ApiError.badRequest("'" + r.name() + "' is not partitioned by the gateway.");
    return keeper.keep(r).map(o -> {
      if (o.busy()) {
        throw new ApiError(409, "conflict", "Another gateway is keeping the partitions of '" + r.name() + "'; retry shortly.");
      }
      recordPartitions(o);
      return o.toJson().toBuffer();
    });
  }

  /** {"views": [...], "partitioned": [...]}: what the scheduler keeps and where each stands. */
  private Future<Buffer> status() {
    Future<JsonArray> viewJson = views.isEmpty() ? Future.succeededFuture(new JsonArray())
        : pool.preparedQuery(ViewRefresher.STATE_SQL).execute(Tuple.of((Object) viewNames())).map(rows -> {
          JsonArray out = new JsonArray();
          for (Row row : rows) {
            Resource v = catalog.require(row.getString(0));
            OffsetDateTime at = row.getOffsetDateTime(2);
            out.add(new JsonObject().put("resource", v.name()).put("view", v.table())
                .put("refreshSeconds", v.view().refreshSeconds()).put("generation", row.getLong(1))
                .put("refreshedAt", at == null ? null : at.toString()).put("ageSeconds", row.getDouble(3))
                .put("lastDurationMs", row.getLong(4)));
          }
          return out;
        });
    List<Future<JsonObject>> tables = new ArrayList<>();
    for (Resource r : partitioned) {
      tables.add(PartitionKeeper.list(pool, r.table()).map(parts -> {
        JsonArray list = new JsonArray();
        for (PartitionPlan.Existing e : parts) {
          list.add(new JsonObject().put("name", e.name()).put("from", e.from() == null ? null : e.from().toString())
              .put("to", e.to() == null ? null : e.to().toString()));
        }
        return new JsonObject().put("resource", r.name()).put("table", r.table())
            .put("column", r.partitioning().column())
            .put("interval", r.partitioning().interval().name().toLowerCase())
            .put("ahead", r.partitioning().ahead()).put("retentionDays", r.partitioning().retentionDays())
            .put("retire", r.partitioning().retire().name().toLowerCase()).put("partitions", list);
      }));
    }
    return Future.all(viewJson, Future.all(tables)).map(v -> {
      JsonArray parts = new JsonArray();
      tables.forEach(t -> parts.add(t.result()));
      return new JsonObject().put("intervalSeconds", settings.intervalSeconds())
          .put("views", viewJson.result()).put("partitioned", parts).toBuffer();
    });
  }

  private static String describe(Throwable err) {
    if (err instanceof io.vertx.pgclient.PgException pg) return "SQLSTATE " + pg.getSqlState() + " " + pg.getErrorMessage();
    return String.valueOf(err.getMessage());
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
