package dev.sluice.bus;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * Serves one data operation on its address for both kinds of sender: the HTTP verticle (a
 * {@link DataRequest} through the local codec, answered with the raw JSON bytes) and any other
 * event-bus consumer (a JSON message with {@code tenant} or {@code apiKey}, answered with JSON).
 * Failures go back as a ReplyException: code = HTTP status, message = the JSON error body.
 */
public final class BusService {
  private BusService() {}

  public static Future<Void> serve(EventBus bus, String address, ApiKeys keys, Function<DataRequest, Future<Buffer>> op) {
    return serveReplies(bus, address, keys, req -> op.apply(req).map(json -> new DataReply(json, null)));
  }

  /** Like {@link #serve}, for operations that also say whether the cache answered (X-Cache). */
  public static Future<Void> serveReplies(EventBus bus, String address, ApiKeys keys,
                                          Function<DataRequest, Future<DataReply>> op) {
    MessageConsumer<Object> consumer = bus.consumer(address, msg -> handle(msg, keys, op));
    return consumer.completion();
  }

  private static void handle(Message<Object> msg, ApiKeys keys, Function<DataRequest, Future<DataReply>> op) {
    Future<DataReply> result;
    boolean local = false;
    try {
      DataRequest req;
      if (msg.body() instanceof DataRequest r) {
        req = r;
        local = true;
      } else if (msg.body() instanceof JsonObject json) {
        req = DataRequest.fromJson(json, callerOf(json, keys));
      } else {
        throw ApiError.badRequest("The message must be a JSON object.");
      }
      result = op.apply(req);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    boolean replyRaw = local;
    result.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(replyRaw ? ar.result() : new JsonObject(ar.result().json()));
      } else {
        ErrorMapper.fail(msg, ar.cause());
      }
    });
  }

  /**
   * The caller of a JSON bus message: its API key's tenant and role, or the trusted in-cluster
   * {@code tenant} field with the optional {@code role} field (writer when absent).
   */
  static Principal callerOf(JsonObject json, ApiKeys keys) {
    String apiKey = DataRequest.field(json, "apiKey", String.class);
    if (apiKey != null) return keys.lookup(apiKey).orElseThrow(ApiError::unauthorized);
    Object t = json.getValue("tenant");
    if (!(t instanceof Number n)) throw ApiError.unauthorized();
    Object role = json.getValue("role");
    if (role == null) return new Principal(n.longValue(), Role.WRITER);
    for (Role r : Role.values()) {
      if (r.name().equalsIgnoreCase(String.valueOf(role))) return new Principal(n.longValue(), r);
    }
    throw ApiError.badRequest("role must be reader, writer or admin.");
  }
}
