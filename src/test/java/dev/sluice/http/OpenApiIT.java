package dev.sluice.http;

import dev.sluice.openapi.OpenApiRoutes;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("/openapi.json and /docs describe every route the gateway serves")
class OpenApiIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("openapi", null, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  static JsonObject document() {
    Http.Response r = http.get("/openapi.json", null);
    assertEquals(200, r.status(), r.body());
    assertEquals("application/json", r.header("content-type"));
    return r.json();
  }

  @Test
  @DisplayName("the document needs no key and passes swagger-parser's OpenAPI 3.1 parser without a message")
  void parses() {
    String body = http.get("/openapi.json", null).body();
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIParser().readContents(body, null, options);
    assertNotNull(result.getOpenAPI(), String.valueOf(result.getMessages()));
    assertEquals(List.of(), result.getMessages() == null ? List.of() : result.getMessages());
    assertEquals("3.1.0", result.getOpenAPI().getOpenapi());
    assertTrue(result.getOpenAPI().getComponents().getSecuritySchemes().keySet().containsAll(Set.of("apiKey", "jwt")));

    // The parser does report problems: the same document without its info and with a broken reference is refused.
    JsonObject broken = new JsonObject(body);
    broken.remove("info");
    broken.getJsonObject("paths").getJsonObject("/v1/leads/{id}").getJsonObject("get").getJsonObject("responses")
        .getJsonObject("200").getJsonObject("content").getJsonObject("application/json")
        .put("schema", new JsonObject().put("$ref", "#/components/schemas/nope"));
    SwaggerParseResult bad = new OpenAPIParser().readContents(broken.encode(), null, options);
    assertFalse(bad.getMessages() == null || bad.getMessages().isEmpty(), "swagger-parser found nothing wrong");
  }

  @Test
  @DisplayName("every route of the router is documented, and every documented operation is served")
  void coversEveryRoute() throws Exception {
    // A second HTTP verticle built like the gateway's (same Vert.x: it shares the port); its router is the real one.
    HttpVerticle verticle = new HttpVerticle(gw.config, gw.registry, gw.gateway.catalog(), gw.gateway.feed(),
        gw.gateway.access());
    String id = Http.await(gw.vertx.deployVerticle(verticle, new DeploymentOptions()));
    try {
      Router router = verticle.router();
      JsonObject doc = document();
      assertEquals(Set.of(), OpenApiRoutes.undocumented(router, doc),
          "served but not in /openapi.json: add them in dev.sluice.openapi.ApiRoutes");
      assertEquals(Set.of(), OpenApiRoutes.unserved(router, doc), "documented but not served");
      assertTrue(router.getRoutes().size() > 15);
    } finally {
      Http.await(gw.vertx.undeploy(id));
    }
  }

  @Test
  @DisplayName("each resource has its paths, parameters, row schema and per-type filter operators")
  void resources() {
    JsonObject doc = document();
    JsonObject paths = doc.getJsonObject("paths");
    for (String p : List.of("/v1/leads", "/v1/leads/{id}", "/v1/leads/bulk", "/v1/leads/changes", "/v1/customers",
        "/v1/organizations", "/v1/documents/search", "/v1/documents/{id}/similar", "/v1/batch", "/admin/slo",
        "/admin/explain/{resource}", "/health/ready", "/metrics")) {
      assertTrue(paths.containsKey(p), p + " missing");
    }
    assertFalse(paths.containsKey("/v1/leads/search"), "leads has no vector column");
    JsonObject list = paths.getJsonObject("/v1/leads").getJsonObject("get");
    JsonObject params = new JsonObject();
    list.getJsonArray("parameters").forEach(p -> params.put(((JsonObject) p).getString("name"), p));
    for (String p : List.of("select", "order", "limit", "after", "page", "count", "status", "priority", "created_at")) {
      assertTrue(params.containsKey(p), "parameter " + p);
    }
    assertTrue(params.getJsonObject("status").getString("description").contains("ilike"));
    assertFalse(params.getJsonObject("priority").getString("description").contains("ilike"));
    assertTrue(params.getJsonObject("order").getString("description").contains("priority"));
    assertEquals(1000, params.getJsonObject("limit").getJsonObject("schema").getInteger("maximum"));
    JsonObject docs = new JsonObject();
    paths.getJsonObject("/v1/documents").getJsonObject("get").getJsonArray("parameters")
        .forEach(p -> docs.put(((JsonObject) p).getString("name"), p));
    assertTrue(docs.getJsonObject("text").getString("description").contains("fts"));
    assertFalse(docs.containsKey("embedding"), "a vector column cannot be filtered by value");

    JsonObject lead = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject("leads");
    JsonObject props = lead.getJsonObject("properties");
    assertEquals(new JsonArray().add("integer").add("null"), props.getJsonObject("priority").getJsonArray("type"));
    assertEquals("date-time", props.getJsonObject("created_at").getString("format"));
    assertTrue(props.containsKey("customer"), "the to-one relation");
    assertEquals("int64", paths.getJsonObject("/v1/leads/{id}").getJsonObject("get").getJsonArray("parameters")
        .getJsonObject(0).getJsonObject("schema").getString("format"));
    JsonObject search = paths.getJsonObject("/v1/documents/search").getJsonObject("post");
    assertEquals(384, search.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json")
        .getJsonObject("schema").getJsonObject("properties").getJsonObject("vector").getInteger("maxItems"));
  }

  @Test
  @DisplayName("errors share the one error shape, and 429 documents Retry-After and the RateLimit headers")
  void errors() {
    JsonObject components = document().getJsonObject("components");
    assertTrue(components.getJsonObject("schemas").getJsonObject("Error").getJsonObject("properties").containsKey("error"));
    JsonObject limited = components.getJsonObject("responses").getJsonObject("RateLimited");
    assertTrue(limited.getJsonObject("headers").fieldNames().containsAll(
        Set.of("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")));
    JsonObject get = document().getJsonObject("paths").getJsonObject("/v1/leads/{id}").getJsonObject("get");
    assertTrue(get.getJsonObject("responses").fieldNames().containsAll(Set.of("200", "401", "403", "404", "429")));
    assertEquals(new JsonArray(), document().getJsonObject("paths").getJsonObject("/health/live")
        .getJsonObject("get").getJsonArray("security"), "health needs no credential");
  }

  @Test
  @DisplayName("/docs is Swagger UI served from the webjar, pointed at /openapi.json")
  void docs() {
    Http.Response page = http.get("/docs", null);
    assertEquals(200, page.status());
    assertTrue(page.header("content-type").startsWith("text/html"));
    assertTrue(page.body().contains("/openapi.json") && page.body().contains("/docs/swagger-ui-bundle.js"));
    Http.Response js = http.get("/docs/swagger-ui-bundle.js", null);
    assertEquals(200, js.status());
    assertTrue(js.body().length() > 100_000);
    assertEquals(200, http.get("/docs/swagger-ui.css", null).status());
    assertEquals(404, http.get("/docs/nothing-here.js", null).status());
  }
}
