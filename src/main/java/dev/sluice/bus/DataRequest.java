package dev.sluice.bus;

import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A request to a data verticle, as the HTTP verticle sends it in-process. The tenant comes from
 * the caller's API key, never from the client. External event-bus consumers send the JSON form
 * instead ({@link #fromJson}); both reach the same handler.
 *
 * @param query the HTTP query parameters (select, order, limit, after, page, count and filters);
 *     a value is a string, or an array of strings when a key is repeated
 * @param body the request body, or null
 * @param local true when the gateway itself sent it (the HTTP verticle, which admitted it already; the demo
 *     loader), false for a bus consumer's message: the write path admits those against their tenant's share
 * @param noCache the caller asked to bypass the cache (Cache-Control: no-cache)
 * @param role the caller's role, from its key (the write path checks each resource's write role);
 *     writer where the sender does not say
 */
public record DataRequest(String resource, long tenant, String id, JsonObject query, Buffer body, boolean local,
                          boolean noCache, Role role) {

  public DataRequest(String resource, long tenant, String id, JsonObject query, Buffer body, boolean local) {
    this(resource, tenant, id, query, body, local, false);
  }

  public DataRequest(String resource, long tenant, String id, JsonObject query, Buffer body, boolean local,
                     boolean noCache) {
    this(resource, tenant, id, query, body, local, noCache, Role.WRITER);
  }

  /** Operational keys of a bus message; everything else in it is a query parameter. */
  private static final java.util.Set<String> ENVELOPE = java.util.Set.of("resource", "tenant", "apiKey", "id", "body",
      "noCache", "role");

  public static DataRequest fromJson(JsonObject json, long tenant) {
    return fromJson(json, new Principal(tenant, Role.WRITER));
  }

  /** A bus message's request, for the caller its {@code apiKey} (or trusted {@code tenant} and {@code role}) names. */
  public static DataRequest fromJson(JsonObject json, Principal caller) {
    JsonObject query = new JsonObject();
    for (String k : json.fieldNames()) {
      if (!ENVELOPE.contains(k)) query.put(k, json.getValue(k));
    }
    Object id = json.getValue("id");
    Object body = json.getValue("body");
    Buffer bodyBuffer = body == null ? null
        : body instanceof String s ? Buffer.buffer(s) : Buffer.buffer(io.vertx.core.json.Json.encode(body));
    return new DataRequest(field(json, "resource", String.class), caller.tenant(), id == null ? null : id.toString(), query,
        bodyBuffer, false, Boolean.TRUE.equals(field(json, "noCache", Boolean.class)), caller.role());
  }

  /** A field of a bus message that must have one JSON type: absent is null, another type is the sender's 400. */
  public static <T> T field(JsonObject json, String name, Class<T> type) {
    Object v = json.getValue(name);
    if (v == null || type.isInstance(v)) return type.cast(v);
    throw dev.sluice.error.ApiError.badRequest("Field '" + name + "' of the message must be "
        + (type == String.class ? "a string" : type == Boolean.class ? "true or false" : type == Number.class ? "a number"
        : "a JSON " + (type == JsonObject.class ? "object" : "array")) + ".");
  }

  /** A query parameter as one string; a repeated key is a client error for single-valued parameters. */
  public String param(String name) {
    return param(query, name);
  }

  /** A parameter of {@code query} given once, as text (a repeated one is a 400). */
  public static String param(io.vertx.core.json.JsonObject query, String name) {
    Object v = query.getValue(name);
    if (v == null) return null;
    if (v instanceof io.vertx.core.json.JsonArray a) {
      if (a.size() != 1) throw dev.sluice.error.ApiError.badRequest("Parameter '" + name + "' may be given once.");
      return String.valueOf(a.getValue(0));
    }
    return v.toString();
  }
}
