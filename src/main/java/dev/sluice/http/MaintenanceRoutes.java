package dev.sluice.http;

import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.maintenance.MaintenanceVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin routes of scheduled maintenance (admin role: checked by the {@code /admin/*} route
 * mounted before these): {@code POST /admin/refresh/{resource}} refreshes a materialized view now,
 * {@code POST /admin/partitions/{resource}} runs a partition pass now, {@code GET
 * /admin/maintenance} shows the views' generations and ages and the tables' partitions.
 */
public final class MaintenanceRoutes {
  private MaintenanceRoutes() {}

  public static void mount(Router router, Vertx vertx, DeliveryOptions delivery) {
    router.post("/admin/refresh/:resource").handler(ctx -> send(vertx, ctx, MaintenanceVerticle.ADMIN_REFRESH, delivery));
    router.post("/admin/partitions/:resource").handler(ctx -> send(vertx, ctx, MaintenanceVerticle.ADMIN_PARTITIONS, delivery));
    router.get("/admin/maintenance").handler(ctx -> send(vertx, ctx, MaintenanceVerticle.ADMIN_MAINTENANCE, delivery));
  }

  private static void send(Vertx vertx, RoutingContext ctx, String address, DeliveryOptions delivery) {
    DataRequest req = new DataRequest(ctx.pathParam("resource"), Auth.principal(ctx).tenant(), null, new JsonObject(), null, true);
    vertx.eventBus().<DataReply>request(address, req, delivery).onComplete(ar -> {
      if (ar.succeeded()) Responses.json(ctx, 200, ar.result().body().json());
      else ctx.fail(ar.cause());
    });
  }
}
