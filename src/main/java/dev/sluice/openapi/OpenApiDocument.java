package dev.sluice.openapi;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.TreeMap;

import static dev.sluice.openapi.Schemas.type;

/**
 * The OpenAPI 3.1 document of this gateway, generated at start from the verified catalog (so the
 * field types are the live schema's) and {@link ApiRoutes}.
 *
 * <p>Built as plain JSON with Vert.x's JsonObject rather than swagger-core's model classes: the
 * document is a few hundred lines of JSON, and the model library would add a second Jackson
 * object-mapper set-up to the runtime for no behaviour. The tests check it with swagger-parser.
 */
public final class OpenApiDocument {
  private OpenApiDocument() {}

  public static JsonObject build(Catalog catalog, SluiceConfig config, boolean jwt) {
    List<Operation> ops = ApiRoutes.all(catalog, config);
    JsonObject paths = new JsonObject();
    for (Operation op : ops) {
      JsonObject item = paths.getJsonObject(op.path);
      if (item == null) {
        item = new JsonObject();
        paths.put(op.path, item);
      }
      if (item.containsKey(op.method.toLowerCase())) {
        throw new IllegalStateException("documented twice: " + op.method + " " + op.path);
      }
      item.put(op.method.toLowerCase(), op.toJson());
    }
    return new JsonObject()
        .put("openapi", "3.1.0")
        .put("info", new JsonObject().put("title", "Sluice").put("version", "0.1.0")
            .put("description", "A reactive data-access gateway in front of PostgreSQL + pgvector and Redis. "
                + "Send `Authorization: Bearer <API key>`" + (jwt ? " or a JWT" : "") + ". Every failure has the "
                + "shape `{\"error\": {\"code\", \"message\", \"details\"}}`. Rate-limited responses carry "
                + "RateLimit-Limit, -Remaining and -Reset; a refusal is 429 with Retry-After."))
        .put("servers", new JsonArray().add(new JsonObject().put("url", "/")))
        .put("security", new JsonArray().add(new JsonObject().put("apiKey", new JsonArray()))
            .add(new JsonObject().put("jwt", new JsonArray())))
        .put("tags", tags(catalog))
        .put("paths", paths)
        .put("components", components(catalog, jwt));
  }

  private static JsonArray tags(Catalog catalog) {
    JsonArray tags = new JsonArray();
    new TreeMap<>(catalog.all()).forEach((name, r) -> tags.add(new JsonObject().put("name", name)
        .put("description", "Table " + r.table() + (r.tenantScoped() ? ", scoped to the caller's tenant" : ", shared"))));
    for (String t : List.of("batch", "admin", "health", "docs")) tags.add(new JsonObject().put("name", t));
    return tags;
  }

  private static JsonObject components(Catalog catalog, boolean jwt) {
    JsonObject schemas = new JsonObject().put("Error", Schemas.error());
    for (Resource r : new TreeMap<>(catalog.all()).values()) schemas.put(r.name(), Schemas.row(r));
    JsonObject rateHeaders = new JsonObject()
        .put("RateLimit-Limit", header("The bucket size of the strictest limit that applies"))
        .put("RateLimit-Remaining", header("Requests left in that bucket"))
        .put("RateLimit-Reset", header("Seconds until that bucket is full again"));
    JsonObject retry = new JsonObject().put("Retry-After", header("Seconds to wait before retrying"));
    JsonObject responses = new JsonObject()
        .put("BadRequest", error("The request is invalid (code bad_request or validation).", null))
        .put("Unauthorized", error("No valid API key or JWT (code unauthorized).", null))
        .put("Forbidden", error("The caller's role may not do this (code forbidden).", null))
        .put("NotFound", error("No such resource or row (code not_found).", null))
        .put("Conflict", error("A key or constraint conflict (code conflict).", null))
        .put("TooLarge", error("The body is over a limit (code too_large).", null))
        .put("RateLimited", error("A rate limit refused the request (code rate_limited).", rateHeaders.copy().mergeIn(retry)))
        .put("Unavailable", error("Overloaded or the database is down (code overloaded or unavailable).", retry))
        .put("Timeout", error("The request took too long (code timeout).", null));
    JsonObject security = new JsonObject()
        .put("apiKey", new JsonObject().put("type", "http").put("scheme", "bearer")
            .put("description", "An API key: `Authorization: Bearer demo-reader` (demo keys: demo-reader, "
                + "demo-reader-2, demo-writer, demo-admin)."));
    security.put("jwt", new JsonObject().put("type", "http").put("scheme", "bearer").put("bearerFormat", "JWT")
        .put("description", (jwt ? "" : "(Not enabled on this gateway.) ") + "A JWT signed with HS256 (the shared secret) "
            + "or RS256/ES256 (a key of the configured JWKS); its tenant and role claims (auth.jwt.tenantClaim, roleClaim) "
            + "say who calls; exp and nbf are enforced."));
    return new JsonObject().put("schemas", schemas).put("responses", responses).put("securitySchemes", security);
  }

  private static JsonObject header(String description) {
    return new JsonObject().put("description", description).put("schema", type("integer"));
  }

  private static JsonObject error(String description, JsonObject headers) {
    JsonObject r = new JsonObject().put("description", description).put("content", new JsonObject()
        .put("application/json", new JsonObject().put("schema", Schemas.ref("Error"))));
    if (headers != null) r.put("headers", headers);
    return r;
  }
}
