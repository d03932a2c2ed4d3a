package dev.sluice.metrics;

import dev.sluice.bus.LocalCalls;
import dev.sluice.alerts.AlertWebhooks;
import dev.sluice.alerts.Severity;
import dev.sluice.bus.Addresses;
import dev.sluice.config.OpsSettings;
import dev.sluice.config.SloSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The metrics verticle: times every operation (on the event bus), watches every SQL statement
 * (through the tracing SPI), evaluates the SLO targets and alert thresholds each tick over
 * sliding windows, publishes each transition once on {@code sluice.alerts}, times each change event
 * from its commit to its arrival here (the "realtime" operation), exposes a Prometheus
 * gauge per target, and answers {@code sluice.admin.slo} and {@code sluice.admin.db}.
 */
public final class MetricsVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger("sluice.alerts");
  public static final String ADMIN_SLO = "sluice.admin.slo";
  public static final String ADMIN_DB = "sluice.admin.db";

  private final Metrics metrics;
  private final SluiceConfig config;
  private final Set<String> resources;
  private final Map<String, double[]> gauges = new ConcurrentHashMap<>();
  private OperationObserver observer;
  private SloEvaluator evaluator;
  private Pool diagnosticsPool;
  private DatabaseGauges databaseGauges;
  private AlertWebhooks webhooks;
  private long timer;

  public MetricsVerticle(Metrics metrics, SluiceConfig config, Set<String> resources) {
    this.metrics = metrics;
    this.config = config;
    this.resources = resources;
  }

  @Override
  public Future<?> start() {
    MeterRegistry registry = metrics.registry();
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    SloSettings slo = config.slo();
    long longest = slo.windowsSeconds().stream().mapToLong(Integer::longValue).max().orElse(300) * 1000L;
    WindowedStats stats = new WindowedStats(Math.max(100, Math.min(5000, longest / 60)), longest, System::currentTimeMillis);
    SlowQueries slow = new SlowQueries(System::currentTimeMillis);
    metrics.sql().attach(stats, slow, slo.slowQueryMs());
    observer = new OperationObserver(vertx.eventBus(), registry, stats, resources);
    observer.install(LocalCalls.of(vertx));
    evaluator = new SloEvaluator(slo, stats, slow, System::currentTimeMillis,
        () -> (long) sum(registry, "sluice.cache.hits"), () -> (long) sum(registry, "sluice.cache.misses"),
        () -> poolUtilisation(registry), () -> replicaLagMs(registry));
    for (SloSettings.Target t : slo.targets()) {
      double[] cell = gauges.computeIfAbsent(t.name(), k -> new double[] {Double.NaN, -1});
      Gauge.builder("sluice.slo.p95", cell, c -> c[0]).baseUnit("seconds").tag("target", t.name())
          .description("Measured p95 over the SLO window").register(registry);
      Gauge.builder("sluice.slo.objective.p95", t, x -> x.p95Ms() / 1000.0).baseUnit("seconds").tag("target", t.name())
          .description("The target's p95 objective").register(registry);
      Gauge.builder("sluice.slo.status", cell, c -> c[1]).tag("target", t.name())
          .description("1 breach, 0 ok, -1 no data").register(registry);
    }
    diagnosticsPool = Database.pool(vertx, config.pg(), 2, "sluice-diagnostics");
    Diagnostics diagnostics = new Diagnostics(diagnosticsPool);
    OpsSettings ops = OpsSettings.from(config);
    databaseGauges = new DatabaseGauges(vertx, config.pg(), ops.database(), registry);
    databaseGauges.start();
    evaluator.extraThresholds(databaseGauges::thresholds);
    webhooks = new AlertWebhooks(vertx, ops.delivery(), registry);
    tick(); // /admin/slo has a report from the first moment
    timer = vertx.setPeriodic(slo.tickMs(), id -> tick());
    List<Future<?>> ready = new ArrayList<>();
    ready.add(webhooks.start());
    for (String resource : resources) {
      ready.add(vertx.eventBus().<JsonObject>consumer(Addresses.CHANGES_PREFIX + resource,
          m -> observer.recordChange(resource, m.body())).completion());
    }
    return Future.all(ready).compose(v -> Future.all(
        vertx.eventBus().consumer(ADMIN_SLO, m -> m.reply(evaluator.latest())).completion(),
        vertx.eventBus().consumer(ADMIN_DB, m -> diagnostics.report(poolFigures(registry)
                .put("configured", new JsonObject().put("poolSizePerVerticle", config.pg().poolSize())
                    .put("verticleInstances", config.pg().verticleInstances())
                    .put("maxWaitQueueSize", config.pg().maxWaitQueueSize())))
            .onComplete(ar -> {
              if (ar.succeeded()) m.reply(ar.result());
              else dev.sluice.error.ErrorMapper.fail(m, dev.sluice.error.ApiError.unavailable("Diagnostics are unavailable."));
            })).completion()));
  }

  private void tick() {
    observer.expire(2L * config.http().requestTimeoutMs() * 1_000_000L);
    SloEvaluator.Evaluation e = evaluator.evaluate();
    e.report().getJsonArray("targets").forEach(o -> {
      JsonObject t = (JsonObject) o;
      double[] cell = gauges.get(t.getString("name"));
      if (cell != null) {
        cell[0] = t.getDouble("p95Ms") / 1000.0;
        cell[1] = switch (t.getString("status")) {
          case SloEvaluator.BREACH -> 1;
          case SloEvaluator.OK -> 0;
          default -> -1;
        };
      }
    });
    for (JsonObject transition : e.transitions()) {
      transition.put("severity", Severity.of(transition));
      LOG.warning("alert: " + transition.getString("kind") + " " + transition.getString("name") + " is now "
          + transition.getString("status"));
      vertx.eventBus().publish(Addresses.ALERTS, transition);
      Counter.builder("sluice.alerts").tag("name", transition.getString("name"))
          .tag("status", transition.getString("status")).register(metrics.registry()).increment();
    }
  }

  private static double sum(MeterRegistry registry, String counter) {
    return registry.find(counter).counters().stream().mapToDouble(Counter::count).sum();
  }

  /** In use over capacity of the request path's SQL pools (vertx_pool_ratio is per pool). */
  private static double poolUtilisation(MeterRegistry registry) {
    return registry.find("vertx.pool.ratio").tag("pool_type", "sql").gauges().stream()
        .filter(g -> !String.valueOf(g.getId().getTag("pool_name")).startsWith(DatabaseGauges.POOL_PREFIX))
        .mapToDouble(Gauge::value).filter(v -> !Double.isNaN(v)).max().orElse(0);
  }

  /** The largest known replica lag (the replica monitor's gauges), or null when there is none. */
  private static Double replicaLagMs(MeterRegistry registry) {
    return registry.find("sluice.replica.lag").gauges().stream().mapToDouble(Gauge::value)
        .filter(v -> !Double.isNaN(v)).map(v -> v * 1000).boxed().max(Double::compare).orElse(null);
  }

  private static JsonObject poolFigures(MeterRegistry registry) {
    JsonObject pools = new JsonObject();
    registry.find("vertx.pool.in.use").tag("pool_type", "sql").gauges().forEach(g -> {
      String name = g.getId().getTag("pool_name");
      JsonObject p = pools.getJsonObject(name, new JsonObject());
      p.put("inUse", g.value());
      pools.put(name, p);
    });
    registry.find("vertx.pool.queue.pending").tag("pool_type", "sql").gauges().forEach(g -> {
      String name = g.getId().getTag("pool_name");
      JsonObject p = pools.getJsonObject(name, new JsonObject());
      p.put("waiting", g.value());
      pools.put(name, p);
    });
    return pools;
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    if (observer != null) observer.uninstall(LocalCalls.of(vertx));
    metrics.sql().detach();
    List<Future<?>> closing = new ArrayList<>();
    if (diagnosticsPool != null) closing.add(diagnosticsPool.close());
    if (databaseGauges != null) closing.add(databaseGauges.stop());
    if (webhooks != null) closing.add(webhooks.stop());
    return Future.join(closing);
  }
}
