package dev.sluice.openapi;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One documented operation: an OpenAPI Operation Object, plus the router path that serves it
 * ({@code x-sluice-route}, e.g. /v1/{resource}/{id} for /v1/leads/{id}), which the route-coverage
 * check compares with the routes the Vert.x router really has.
 */
final class Operation {
  /** Who may call: nobody needs a credential, or the least role that may. */
  enum Access { PUBLIC, READER, WRITER, ADMIN }

  final String method;
  final String path;
  final String route;
  final JsonObject json = new JsonObject();
  private final JsonArray parameters = new JsonArray();
  private final JsonObject responses = new JsonObject();

  private Operation(String method, String path, String route) {
    this.method = method;
    this.path = path;
    this.route = route;
  }

  /** An operation served by the router at the same path as documented. */
  static Operation of(String method, String path) {
    return new Operation(method, path, path);
  }

  /** An operation of one resource (path /v1/leads/...) served by a templated route (/v1/{resource}/...). */
  static Operation of(String method, String path, String route) {
    return new Operation(method, path, route);
  }

  Operation summary(String tag, String summary, String description) {
    json.put("tags", new JsonArray().add(tag)).put("summary", summary);
    if (description != null) json.put("description", description);
    return this;
  }

  Operation access(Access access) {
    if (access == Access.PUBLIC) {
      json.put("security", new JsonArray());
      return this;
    }
    String role = access.name().toLowerCase();
    String text = "Role: " + role + (access == Access.ADMIN ? "." : " or above.");
    json.put("description", json.containsKey("description") ? json.getString("description") + "\n\n" + text : text);
    responses.put("401", ref("Unauthorized")).put("403", ref("Forbidden")).put("429", ref("RateLimited"));
    return this;
  }

  Operation param(JsonObject p) {
    parameters.add(p);
    return this;
  }

  Operation params(JsonArray ps) {
    ps.forEach(parameters::add);
    return this;
  }

  Operation query(String name, JsonObject schema, String description) {
    return param(new JsonObject().put("name", name).put("in", "query").put("required", false)
        .put("schema", schema).put("description", description));
  }

  Operation header(String name, String description) {
    return param(new JsonObject().put("name", name).put("in", "header").put("required", false)
        .put("schema", Schemas.type("string")).put("description", description));
  }

  Operation body(String contentType, JsonObject schema, String description) {
    JsonObject rb = json.getJsonObject("requestBody");
    if (rb == null) {
      rb = new JsonObject().put("required", true).put("content", new JsonObject());
      json.put("requestBody", rb);
    }
    rb.getJsonObject("content").put(contentType, new JsonObject().put("schema", schema));
    if (description != null) rb.put("description", description);
    return this;
  }

  Operation ok(JsonObject schema, String description) {
    return response("200", "application/json", schema, description);
  }

  Operation response(String status, String contentType, JsonObject schema, String description) {
    JsonObject r = new JsonObject().put("description", description);
    if (contentType != null) r.put("content", new JsonObject().put(contentType, new JsonObject().put("schema", schema)));
    responses.put(status, r);
    return this;
  }

  /** Adds the shared error responses (components/responses) by status. */
  Operation errors(int... statuses) {
    for (int s : statuses) {
      responses.put(String.valueOf(s), ref(switch (s) {
        case 400 -> "BadRequest";
        case 404 -> "NotFound";
        case 409 -> "Conflict";
        case 413 -> "TooLarge";
        case 503 -> "Unavailable";
        case 504 -> "Timeout";
        default -> throw new IllegalArgumentException("no shared response for " + s);
      }));
    }
    return this;
  }

  private static JsonObject ref(String name) {
    return new JsonObject().put("$ref", "#/components/responses/" + name);
  }

  /** The Operation Object. */
  JsonObject toJson() {
    JsonObject out = json.copy();
    out.put("operationId", operationId());
    if (!parameters.isEmpty()) out.put("parameters", parameters.copy());
    out.put("responses", responses.copy());
    out.put("x-sluice-route", route);
    return out;
  }

  /** A unique, readable id: get_v1_leads_id. */
  String operationId() {
    return (method.toLowerCase() + path).replaceAll("[^A-Za-z0-9]+", "_").replaceAll("_+$", "");
  }
}
