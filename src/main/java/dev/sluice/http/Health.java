package dev.sluice.http;

import dev.sluice.bus.Addresses;
import dev.sluice.replica.ReplicaMonitor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * /health/live and /health/ready. Readiness asks the Postgres and cache verticles over the event
 * bus: PostgreSQL down is not ready (503); Redis down is ready but degraded, since the cache only
 * makes requests faster. With streaming replicas, each one's state is listed too (informational:
 * reads fall back to the primary).
 */
final class Health {
  private static final Buffer LIVE = new JsonObject().put("status", "UP").toBuffer();
  private static final DeliveryOptions CHECK = new DeliveryOptions().setSendTimeout(2000);
  private final Vertx vertx;

  Health(Vertx vertx) {
    this.vertx = vertx;
  }

  void live(RoutingContext ctx) {
    Responses.json(ctx, 200, LIVE);
  }

  void ready(RoutingContext ctx) {
    Future<Boolean> pg = check(Addresses.HEALTH_PG);
    Future<Boolean> redis = check(Addresses.HEALTH_REDIS);
    Future<JsonArray> replicas = replicas();
    Future.join(pg, redis, replicas).onComplete(ar -> {
      boolean pgUp = pg.result();
      boolean redisUp = redis.result();
      JsonObject checks = new JsonObject()
          .put("postgres", new JsonObject().put("status", pgUp ? "UP" : "DOWN"))
          .put("redis", new JsonObject().put("status", redisUp ? "UP" : "DOWN"));
      // Replicas only take reads off the primary: one away or lagging is not a readiness matter.
      if (replicas.result() != null) checks.put("replicas", replicas.result());
      JsonObject body = new JsonObject()
          .put("status", pgUp ? "UP" : "DOWN")
          .put("checks", checks)
          .put("degraded", !redisUp);
      Responses.json(ctx, pgUp ? 200 : 503, body.toBuffer());
    });
  }

  /** The replicas' states, or null when this gateway has none (no monitor answers). */
  private Future<JsonArray> replicas() {
    return vertx.eventBus().<JsonObject>request(ReplicaMonitor.HEALTH, new JsonObject(), new DeliveryOptions(CHECK).setLocalOnly(true))
        .map(m -> m.body().getJsonArray("replicas"))
        .otherwise((JsonArray) null);
  }

  private Future<Boolean> check(String address) {
    return vertx.eventBus().<JsonObject>request(address, new JsonObject(), CHECK)
        .map(m -> m.body().getBoolean("ok", false))
        .otherwise(false);
  }
}
