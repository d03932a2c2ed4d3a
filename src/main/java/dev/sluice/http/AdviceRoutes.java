package dev.sluice.http;

import dev.sluice.advice.AdvisorVerticle;
import dev.sluice.error.ApiError;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * {@code GET /admin/advice} (admin, behind the /admin/* authentication): the maintenance advisor's
 * report; {@code POST /admin/advice/apply} {@code {"id": "..."}}: applies an analyze or vacuum item.
 */
final class AdviceRoutes {
  private AdviceRoutes() {}

  static void mount(Router router, Vertx vertx, DeliveryOptions delivery) {
    router.get("/admin/advice").handler(ctx -> vertx.eventBus().<JsonObject>request(AdvisorVerticle.ADDRESS,
            new JsonObject(), delivery)
        .onSuccess(reply -> Responses.json(ctx, 200, reply.body().toBuffer()))
        .onFailure(ctx::fail));
    router.post("/admin/advice/apply").handler(BodyHandler.create().setBodyLimit(4096)).handler(ctx -> {
      JsonObject body;
      try {
        body = ctx.body().asJsonObject();
      } catch (RuntimeException e) {
        body = null;
      }
      if (body == null || !(body.getValue("id") instanceof String)) {
        ctx.fail(ApiError.badRequest("The body must be {\"id\": \"<an item id of GET /admin/advice>\"}."));
        return;
      }
      vertx.eventBus().<JsonObject>request(AdvisorVerticle.APPLY, new JsonObject().put("id", body.getString("id")), delivery)
          .onSuccess(reply -> Responses.json(ctx, 200, reply.body().toBuffer()))
          .onFailure(ctx::fail);
    });
  }
}
