package dev.sluice.http;

import dev.sluice.auth.Principal;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import dev.sluice.logging.LogContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;

import java.util.logging.Logger;

/** Writes responses with pre-built header values, and every failure in the one JSON error shape. */
final class Responses {
  private static final Logger LOG = Logger.getLogger(Responses.class.getName());
  static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  static final CharSequence X_CACHE = HttpHeaders.createOptimized("X-Cache");
  private static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

  private Responses() {}

  static void json(RoutingContext ctx, int status, Buffer body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(body);
  }

  /**
   * The router's failure handler: one place that turns any failure into the JSON error body. What is
   * logged meanwhile (here or by ErrorMapper) carries the request id and tenant; the response carries the id.
   */
  static void failure(RoutingContext ctx) {
    String requestId = RequestIds.of(ctx);
    Principal caller = Auth.principal(ctx);
    try (LogContext ignored = LogContext.open(requestId, caller == null ? null : caller.tenant())) {
      write(ctx.request(), requestId, toApiError(ctx));
    }
  }

  /** The same answer for a request served before the router ({@link HotReads}). */
  static void failure(HttpServerRequest request, Principal caller, Throwable t) {
    String requestId = RequestIds.of(request);
    try (LogContext ignored = LogContext.open(requestId, caller == null ? null : caller.tenant())) {
      write(request, requestId, t instanceof HttpException he ? fromStatus(he.getStatusCode()) : ErrorMapper.map(t));
    }
  }

  private static void write(HttpServerRequest request, String requestId, ApiError error) {
    HttpServerResponse res = request.response();
    if (res.headWritten()) {
      // The body was already streaming: the only honest thing left is to cut the connection.
      LOG.warning("failure after the response started: " + error.code());
      request.connection().close();
      return;
    }
    res.setStatusCode(error.status()).putHeader(HttpHeaders.CONTENT_TYPE, JSON).putHeader(RequestIds.HEADER, requestId);
    if (error.retryAfterSeconds() > 0) res.putHeader(RETRY_AFTER, String.valueOf(error.retryAfterSeconds()));
    res.end(error.toBuffer());
  }

  private static ApiError toApiError(RoutingContext ctx) {
    Throwable t = ctx.failure();
    if (t instanceof HttpException he) return fromStatus(he.getStatusCode());
    // vertx-web refuses some requests itself with a 4xx and a cause of its own (a VertxException): the status stands
    if (t != null && !(t instanceof ApiError) && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      return fromStatus(ctx.statusCode());
    }
    if (t != null) return ErrorMapper.map(t);
    return fromStatus(ctx.statusCode());
  }

  static ApiError fromStatus(int status) {
    return switch (status) {
      case 400 -> ApiError.badRequest("The request is malformed.");
      case 401 -> ApiError.unauthorized();
      case 403 -> ApiError.forbidden("Not allowed.");
      case 404 -> ApiError.notFound("There is nothing at this path.");
      case 405 -> new ApiError(405, "method_not_allowed", "This method is not allowed on this path.");
      case 413 -> new ApiError(413, "too_large", "The request body is larger than allowed.");
      case 415 -> new ApiError(415, "unsupported_media_type", "Send application/json.");
      case 414 -> new ApiError(414, "uri_too_long", "The request line is longer than allowed.");
      case 431 -> new ApiError(431, "headers_too_large", "The request headers are larger than allowed.");
      case 503 -> ApiError.overloaded();
      case 504 -> ApiError.timeout();
      // any other refusal of the request itself (406, 411, ...) keeps its status, in the one shape
      default -> status >= 400 && status < 500 ? new ApiError(status, "bad_request", "The request was refused.")
          : ApiError.internal();
    };
  }
}
