package dev.sluice.error;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The one failure shape of the gateway, for HTTP and the event bus alike:
 * {@code {"error": {"code", "message", "details"}}} with an HTTP status. Carries no stack trace,
 * and its message is written for a person: never SQL, internal names or another tenant's data.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final JsonObject details;

  public ApiError(int status, String code, String message, JsonObject details) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  public ApiError(int status, String code, String message) {
    this(status, code, message, null);
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, "bad_request", message);
  }

  public static ApiError badRequest(String message, JsonObject details) {
    return new ApiError(400, "bad_request", message, details);
  }

  public static ApiError validation(String message, JsonObject details) {
    return new ApiError(400, "validation", message, details);
  }

  public static ApiError unauthorized() {
    return new ApiError(401, "unauthorized", "A valid API key is required: send Authorization: Bearer <key>.");
  }

  public static ApiError forbidden(String message) {
    return new ApiError(403, "forbidden", message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "not_found", message);
  }

  public static ApiError overloaded() {
    return new ApiError(503, "overloaded", "The gateway is at capacity; retry shortly.");
  }

  public static ApiError unavailable(String message) {
    return new ApiError(503, "unavailable", message);
  }

  public static ApiError timeout() {
    return new ApiError(504, "timeout", "The request took too long and was cancelled.");
  }

  public static ApiError internal() {
    return new ApiError(500, "internal", "Something went wrong on our side.");
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public JsonObject details() {
    return details;
  }

  /** Seconds a client should wait before retrying, for 503s and 429s (a share of the gateway taken); 0 otherwise. */
  public int retryAfterSeconds() {
    return status == 503 || status == 429 ? 1 : 0;
  }

  public JsonObject toJson() {
    JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
    if (details != null) error.put("details", details);
    return new JsonObject().put("error", error);
  }

  public Buffer toBuffer() {
    return toJson().toBuffer();
  }

  /** Reads the JSON body back, e.g. from a ReplyException's message; null if it is not one. */
  public static ApiError fromJson(int status, String body) {
    try {
      JsonObject error = new JsonObject(body).getJsonObject("error");
      if (error == null || error.getString("code") == null) return null;
      return new ApiError(status, error.getString("code"), error.getString("message", ""),
          error.getJsonObject("details"));
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "ApiError{" + status + " " + code + ": " + getMessage() + "}";
  }
}
