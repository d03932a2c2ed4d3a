package dev.sluice.advice;

import dev.sluice.bus.Addresses;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.OpsSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Answers {@code sluice.admin.advice} with the {@link Advisor}'s report, and runs {@link AutoAnalyze}
 * on this node's own change events (local consumers: each node analyses after the imports it
 * committed). One instance; its one connection goes straight to PostgreSQL (past any PgBouncer),
 * without a statement timeout (ANALYZE of a large table takes a while) and with tracing off, so
 * its statements are not counted as the gateway's.
 */
public final class AdvisorVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(AdvisorVerticle.class.getName());
  public static final String ADDRESS = "sluice.admin.advice";
  /** {"id": "analyze:leads"}: applies that item (analyze and vacuum items only). */
  public static final String APPLY = "sluice.admin.advice.apply";

  private final SluiceConfig config;
  private final Catalog catalog;
  private final MeterRegistry registry;
  private Pool pool;

  public AdvisorVerticle(SluiceConfig config, Catalog catalog, MeterRegistry registry) {
    this.config = config;
    this.catalog = catalog;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    OpsSettings.Db settings = OpsSettings.from(config).database();
    pool = PgBuilder.pool().with(Database.poolOptions(config.pg(), 1, "sluice-diagnostics-advice"))
        .connectingTo(Database.connectOptions(config.pg(), Database.directUrl(config.pg()), 0)
            .setTracingPolicy(TracingPolicy.IGNORE))
        .using(vertx).build();
    Advisor advisor = new Advisor(pool, config, settings);
    AutoAnalyze analyze = new AutoAnalyze(pool, settings.analyzeAfterRows(), registry);
    List<Future<?>> ready = new ArrayList<>();
    ready.add(vertx.eventBus().consumer(ADDRESS, m -> advisor.report().onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(ar.result());
      } else {
        LOG.log(java.util.logging.Level.WARNING, "advice unavailable", ar.cause());
        ErrorMapper.fail(m, ApiError.unavailable("The maintenance advice is unavailable."));
      }
    })).completion());
    ready.add(vertx.eventBus().<JsonObject>consumer(APPLY, m -> {
      String id = m.body() == null ? null : m.body().getString("id");
      Future<JsonObject> applied = id == null ? Future.failedFuture(ApiError.badRequest("Name the item: {\"id\": \"...\"}."))
          : advisor.apply(id);
      applied.onComplete(ar -> {
        if (ar.succeeded()) {
          LOG.info("advice applied on an admin's request: " + ar.result().getString("sql"));
          m.reply(ar.result());
        } else {
          ErrorMapper.fail(m, ar.cause());
        }
      });
    }).completion());
    for (Resource r : catalog.all().values()) {
      ready.add(vertx.eventBus().<JsonObject>localConsumer(Addresses.CHANGES_PREFIX + r.name(),
          m -> analyze.changed(r.table(), m.body())).completion());
    }
    return Future.all(ready);
  }

  @Override
  public Future<?> stop() {
    return pool == null ? Future.succeededFuture() : pool.close();
  }
}
