package dev.sluice.http;

import dev.sluice.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * /health/live and /health/ready. Readiness asks the Postgres and cache verticles over the event
 * bus: PostgreSQL down is not ready (503); Redis down is ready but degraded, since the cache only
 * makes requests faster.
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
    Future.join(pg, redis).onComplete(ar -> {
      boolean pgUp = pg.result();
      boolean redisUp = redis.result();
      JsonObject body = new JsonObject()
          .put("status", pgUp ? "UP" : "DOWN")
          .put("checks", new JsonObject()
              .put("postgres", new JsonObject().put("status", pgUp ? "UP" : "DOWN"))
              .put("redis", new JsonObject().put("status", redisUp ? "UP" : "DOWN")))
          .put("degraded", !redisUp);
      Responses.json(ctx, pgUp ? 200 : 503, body.toBuffer());
    });
  }

  private Future<Boolean> check(String address) {
    return vertx.eventBus().<JsonObject>request(address, new JsonObject(), CHECK)
        .map(m -> m.body().getBoolean("ok", false))
        .otherwise(false);
  }
}
