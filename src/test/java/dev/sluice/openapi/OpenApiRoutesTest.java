package dev.sluice.openapi;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("The route-coverage check catches a route added without documenting it")
class OpenApiRoutesTest {
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  private static JsonObject doc(String... methodPathRoute) {
    JsonObject paths = new JsonObject();
    for (String s : methodPathRoute) {
      String[] p = s.split(" ");
      JsonObject item = paths.getJsonObject(p[1], new JsonObject());
      item.put(p[0].toLowerCase(), new JsonObject().put("x-sluice-route", p.length > 2 ? p[2] : p[1]));
      paths.put(p[1], item);
    }
    return new JsonObject().put("paths", paths);
  }

  @Test
  @DisplayName("new routes (another helper's /admin/advice) show up as undocumented; prefix and regex routes are middleware")
  void undocumented() {
    Router router = Router.router(vertx);
    router.route("/v1/*").handler(ctx -> ctx.next());
    router.routeWithRegex("^/x.*").handler(ctx -> ctx.next());
    router.get("/v1/:resource/:id").handler(ctx -> ctx.end());
    router.get("/admin/advice").handler(ctx -> ctx.end());
    router.post("/admin/refresh/:resource").handler(ctx -> ctx.end());
    router.route("/anything").handler(ctx -> ctx.end());
    JsonObject doc = doc("GET /v1/leads/{id} /v1/{resource}/{id}");
    assertEquals(Set.of("GET /admin/advice", "POST /admin/refresh/{resource}", "ANY /anything"),
        OpenApiRoutes.undocumented(router, doc));
    JsonObject full = doc("GET /v1/leads/{id} /v1/{resource}/{id}", "GET /admin/advice",
        "POST /admin/refresh/{resource}", "PUT /anything", "DELETE /gone");
    assertEquals(Set.of(), OpenApiRoutes.undocumented(router, full));
    assertEquals(Set.of("DELETE /gone"), OpenApiRoutes.unserved(router, full));
  }
}
