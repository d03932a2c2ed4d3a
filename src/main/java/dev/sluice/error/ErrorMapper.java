package dev.sluice.error;

import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;

import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Maps every failure to an {@link ApiError} in one place, as PostgREST's Error module does.
 * Database detail (SQL, constraint and column names) is logged at most as its SQLSTATE and never
 * reaches the client. {@link #SQLSTATES} is the one SQLSTATE table of the gateway: the write path's
 * row-level messages ({@link #rule}) and the generic mapping ({@link #map}) both read it.
 */
public final class ErrorMapper {
  private static final Logger LOG = Logger.getLogger(ErrorMapper.class.getName());

  /**
   * What a client sees for one SQLSTATE: the status, the error code, the generic message and the
   * reason phrase for a named field or row ("field 'title' is too long").
   */
  public record SqlState(int status, String code, String message, String reason) {
    /** True for the errors a client's data causes (classes 22, 23 and 54): 4xx, and worth naming the row. */
    public boolean clientData() {
      return status == 400 || status == 409;
    }

    ApiError error() {
      return new ApiError(status, code, message);
    }
  }

  private static final String UNAVAILABLE = "The database is unavailable; retry shortly.";
  private static final SqlState BAD_DATA =
      new SqlState(400, "validation", "A value was refused by the database.", "was refused by the database");
  private static final SqlState BAD_FORMAT =
      new SqlState(400, "validation", "A value has the wrong type or format.", "has the wrong format");
  private static final SqlState OUT_OF_RANGE =
      new SqlState(400, "validation", "A value is out of range.", "is out of range");
  private static final SqlState NOT_ALLOWED_TEXT =
      new SqlState(400, "validation", "A value holds a character that is not allowed.", "holds a character that is not allowed");
  private static final SqlState CONFLICT =
      new SqlState(409, "conflict", "A row with the same key already exists.", "a row with the same key already exists");
  private static final SqlState QUERY =
      new SqlState(400, "bad_request", "The request cannot be run as given; check its filters and values.", "cannot be used here");
  private static final SqlState TIMEOUT = new SqlState(504, "timeout", "The request took too long and was cancelled.", null);
  private static final SqlState OVERLOADED = new SqlState(503, "overloaded", "The gateway is at capacity; retry shortly.", null);
  private static final SqlState AWAY = new SqlState(503, "unavailable", UNAVAILABLE, null);
  private static final SqlState LOCKED = new SqlState(503, "unavailable", "A row is locked by another request; retry it.", null);

  /** The SQLSTATE table: exact codes first; {@link #CLASSES} covers the rest of a class. */
  static final Map<String, SqlState> SQLSTATES = Map.ofEntries(
      // 23: integrity constraints
      Map.entry("23505", CONFLICT),
      Map.entry("23503", new SqlState(409, "conflict", "The row refers to a row that does not exist, or is still referred to.",
          "refers to a row that does not exist")),
      Map.entry("23P01", new SqlState(409, "conflict", "The row conflicts with another row.", "conflicts with another row")),
      Map.entry("23502", new SqlState(400, "validation", "A required field is missing.", "may not be null")),
      Map.entry("23514", new SqlState(400, "validation", "A value is outside the allowed range.", "is not an allowed value")),
      // 22: data exceptions
      Map.entry("22001", new SqlState(400, "validation", "A value is too long.", "is too long")),
      Map.entry("22003", OUT_OF_RANGE),
      Map.entry("22008", OUT_OF_RANGE),
      Map.entry("22012", OUT_OF_RANGE),
      Map.entry("22P02", BAD_FORMAT),
      Map.entry("22007", BAD_FORMAT),
      Map.entry("22023", BAD_FORMAT),
      Map.entry("22021", NOT_ALLOWED_TEXT),
      Map.entry("22P05", NOT_ALLOWED_TEXT),
      Map.entry("22025", new SqlState(400, "validation", "A like pattern is not valid (a backslash must escape a character).",
          "is not a valid pattern")),
      Map.entry("2201B", new SqlState(400, "validation", "A pattern is not a valid regular expression.", "is not a valid pattern")),
      // 54: a value too large for the database (an index row, a tsvector)
      Map.entry("54000", new SqlState(400, "validation", "A value is too large for the database.", "is too large")),
      // the database's own state: time, load, availability
      Map.entry("57014", TIMEOUT),
      Map.entry("40001", new SqlState(503, "unavailable", "The transaction conflicted with another; retry it.", null)),
      Map.entry("40P01", new SqlState(503, "unavailable", "The transaction conflicted with another; retry it.", null)),
      Map.entry("55P03", LOCKED),
      Map.entry("53300", OVERLOADED),
      Map.entry("53400", OVERLOADED),
      Map.entry("53100", AWAY),
      Map.entry("53200", OVERLOADED),
      Map.entry("57P01", AWAY),
      Map.entry("57P02", AWAY),
      Map.entry("57P03", AWAY),
      Map.entry("25006", AWAY)); // read-only transaction: a replica answered for a primary during a failover

  /**
   * Whole SQLSTATE classes a client can reach through its input: data exceptions, integrity
   * violations, program limits and syntax or access rules (class 42: a statement the gateway built
   * from the request and PostgreSQL refused, e.g. an operator for the value's type), and lost connections.
   */
  static final Map<String, SqlState> CLASSES = Map.of(
      "22", BAD_DATA,
      "23", new SqlState(400, "validation", "A value breaks a rule of the data.", "breaks a rule of the data"),
      "42", QUERY,
      "54", new SqlState(400, "validation", "A value is too large for the database.", "is too large"),
      "08", AWAY);

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
      return ApiError.unavailable(UNAVAILABLE);
    }
    // The SQL client's pools give up waiting for a free connection (pg.connectionTimeoutMs) without
    // a TimeoutException: Pool.getConnection fails with a NoStackTraceThrowable "Timeout", the
    // pipelined client with a VertxException. The database is saturated: 503 + Retry-After, not 500.
    if (t instanceof io.vertx.core.impl.NoStackTraceThrowable && "Timeout".equals(t.getMessage())
        || t instanceof io.vertx.core.VertxException && "Timeout waiting for connection".equals(t.getMessage())) {
      return ApiError.overloaded();
    }
    if (t instanceof io.vertx.core.VertxException ve && ve.getMessage() != null
        && ve.getMessage().toLowerCase().contains("closed")) {
      return ApiError.unavailable(UNAVAILABLE);
    }
    LOG.log(Level.WARNING, "unmapped failure: " + t.getClass().getName(), t);
    return ApiError.internal();
  }

  /** The table's row for a SQLSTATE: exact, else its class; null when neither is known (then it is our fault: 500). */
  public static SqlState rule(String state) {
    if (state == null) return null;
    SqlState exact = SQLSTATES.get(state);
    if (exact != null) return exact;
    return state.length() == 5 ? CLASSES.get(state.substring(0, 2)) : null;
  }

  /** The rule of a database error a client's data caused (class 22, 23 or 54), or null for anything else. */
  public static SqlState clientDataRule(Throwable err) {
    if (!(err instanceof PgException pg)) return null;
    SqlState r = rule(pg.getSqlState());
    return r != null && r.clientData() && !pg.getSqlState().startsWith("42") ? r : null;
  }

  /** True when a statement ended by waiting too long, for a lock or at all (statement timeout, lock not available). */
  public static boolean waitedForLock(Throwable err) {
    SqlState r = err instanceof PgException pg ? rule(pg.getSqlState()) : null;
    return r == TIMEOUT || r == LOCKED;
  }

  static ApiError fromSqlState(String state) {
    SqlState r = rule(state);
    if (r == null) {
      LOG.warning("database error with SQLSTATE " + state);
      return ApiError.internal();
    }
    // Class 42 from a statement the gateway built is worth a look: the request was refused, but we let it reach SQL.
    if (state.startsWith("42")) LOG.warning("database refused a built statement with SQLSTATE " + state);
    return r.error();
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

  /** Answers a bus request with the error's event-bus form: the one way every consumer fails a message. */
  public static void fail(Message<?> msg, Throwable t) {
    ReplyException re = toReply(t);
    msg.fail(re.failureCode(), re.getMessage());
  }
}
