package dev.sluice.error;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Maps every failure to an {@link ApiError} in one place, as PostgREST's Error module does.
 * Database detail (SQL, constraint and column names) is logged at most as its SQLSTATE and never
 * reaches the client.
 */
public final class ErrorMapper {
  private static final Logger LOG = Logger.getLogger(ErrorMapper.class.getName());

  private ErrorMapper() {}

  public static ApiError map(Throwable t) {
    if (t instanceof ApiError e) return e;
    if (t instanceof ReplyException re) return fromReply(re);
    if (t instanceof PgException pg) return fromSqlState(pg.getSqlState());
    if (t instanceof ConnectionPoolTooBusyException) return ApiError.overloaded();
    if (t instanceof TimeoutException || (t instanceof io.vertx.core.VertxException vx && vx.getMessage() != null
        && vx.getMessage().startsWith("Timeout waiting for connection"))) {
      // The pool's "timeout waiting for a connection" (a VertxException in Vert.x 5): the database is
      // saturated, not broken.
      return ApiError.overloaded();
    }
    // A dropped, reset or refused connection (a restart, a network cut) is the database being away.
    if (t instanceof ClosedConnectionException || t instanceof java.io.IOException
        || t instanceof io.netty.channel.ConnectTimeoutException) {
      return ApiError.unavailable("The database is unavailable; retry shortly.");
    }
    if (t instanceof io.vertx.core.VertxException ve && ve.getMessage() != null
        && ve.getMessage().toLowerCase().contains("closed")) {
      return ApiError.unavailable("The database is unavailable; retry shortly.");
    }
    LOG.log(Level.WARNING, "unmapped failure: " + t.getClass().getName(), t);
    return ApiError.internal();
  }

  static ApiError fromSqlState(String state) {
    if (state == null) return ApiError.internal();
    return switch (state) {
      case "23505" -> new ApiError(409, "conflict", "A row with the same key already exists.");
      case "23503" -> new ApiError(409, "conflict", "The row refers to a row that does not exist, or is still referred to.");
      case "23502" -> ApiError.validation("A required field is missing.", null);
      case "23514" -> ApiError.validation("A value is outside the allowed range.", null);
      case "22P02", "22003", "22007", "22008", "22023", "2201B", "22001" ->
          ApiError.validation("A value has the wrong type or format.", null);
      case "57014" -> ApiError.timeout();
      case "40001", "40P01" -> new ApiError(503, "unavailable", "The transaction conflicted with another; retry it.");
      case "53300", "53400" -> ApiError.overloaded();
      case "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004" ->
          ApiError.unavailable("The database is unavailable; retry shortly.");
      default -> {
        LOG.warning("database error with SQLSTATE " + state);
        yield ApiError.internal();
      }
    };
  }

  private static ApiError fromReply(ReplyException re) {
    if (re.failureType() == ReplyFailure.TIMEOUT) return ApiError.timeout();
    if (re.failureType() == ReplyFailure.NO_HANDLERS) {
      return ApiError.unavailable("No data service is available; retry shortly.");
    }
    ApiError parsed = re.getMessage() == null ? null : ApiError.fromJson(re.failureCode(), re.getMessage());
    return parsed != null ? parsed : ApiError.internal();
  }

  /** The event-bus form of an error: a ReplyException whose code is the HTTP status and message the JSON body. */
  public static ReplyException toReply(Throwable t) {
    ApiError e = map(t);
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, e.status(), e.toJson().encode());
  }

  public static JsonObject details(String key, Object value) {
    return new JsonObject().put(key, value);
  }
}
