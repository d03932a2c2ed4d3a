package dev.sluice.http;

import dev.sluice.advice.AdvisorVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** {@code GET /admin/advice} (admin, behind the /admin/* authentication): the maintenance advisor's report. */
final class AdviceRoutes {
  private AdviceRoutes() {}

  static void mount(Router router, Vertx vertx, DeliveryOptions delivery) {
    router.get("/admin/advice").handler(ctx -> vertx.eventBus().<JsonObject>request(AdvisorVerticle.ADDRESS,
            new JsonObject(), delivery)
        .onSuccess(reply -> Responses.json(ctx, 200, reply.body().toBuffer()))
        .onFailure(ctx::fail));
  }
}
