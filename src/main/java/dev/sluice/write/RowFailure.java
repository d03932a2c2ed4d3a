package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.sql.InsertSql;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A chunk statement the database refused because of one row's data (SQLSTATE class 22 or 23). One
 * statement writes many rows, so PostgreSQL does not say which; {@link #explain} finds it after
 * the transaction has rolled back: from the error's key for unique and foreign-key violations, else
 * by replaying the chunk row by row (pipelined, in a transaction that is always rolled back) and
 * taking the first row that fails. The client gets the row's index (and line), the field when the
 * database names an exposed one, and a reason — never SQL or internal names.
 */
final class RowFailure extends RuntimeException {
  private static final Pattern KEY = Pattern.compile("^Key \\(([a-z_][a-z0-9_]*)\\)=\\((.*)\\) ");

  final PgException cause;
  final WriteTarget target;
  final InsertSql.Statement statement;
  final List<InputRow> rows;
  final int operation;

  private RowFailure(PgException cause, WriteTarget target, InsertSql.Statement statement, List<InputRow> rows, int operation) {
    super(cause.getSqlState(), null, false, false);
    this.cause = cause;
    this.target = target;
    this.statement = statement;
    this.rows = rows;
    this.operation = operation;
  }

  /** Wraps a data error of a chunk; anything else (connection, timeout) passes through unchanged. */
  static Throwable of(Throwable err, WriteTarget target, InsertSql.Statement statement, List<InputRow> rows, int operation) {
    if (ErrorMapper.clientDataRule(err) != null) return new RowFailure((PgException) err, target, statement, rows, operation);
    return err;
  }

  /**
   * Turns a failure into the client's error once the transaction is rolled back; {@code conn} is
   * free for the replay. Failures other than row failures are returned as they are.
   */
  static Future<Throwable> explain(Throwable err, SqlConnection conn) {
    if (!(err instanceof RowFailure f)) return Future.succeededFuture(err);
    InputRow byKey = f.rowByKey();
    if (byKey != null) return Future.succeededFuture(f.error(byKey, f.cause));
    return f.replay(conn).<Throwable>map(found -> found == null ? f.error(null, f.cause) : f.error(found.row, found.error))
        .otherwise(e -> f.error(null, f.cause));
  }

  private record Found(InputRow row, PgException error) {}

  /** Unique and foreign-key violations name the key: "Key (id)=(42) already exists." */
  private InputRow rowByKey() {
    String state = cause.getSqlState();
    if (!state.equals("23505") && !state.equals("23503")) return null;
    Matcher m = cause.getDetail() == null ? null : KEY.matcher(cause.getDetail());
    if (m == null || !m.find()) return null;
    WriteTarget.Column c = target.byName.get(m.group(1));
    if (c == null || !switch (c.type()) { case INT2, INT4, INT8, TEXT, UUID_ -> true; default -> false; }) return null;
    List<InputRow> matches = new ArrayList<>(2);
    for (InputRow r : rows) {
      Object v = r.values()[c.index()];
      if (v != null && v.toString().equals(m.group(2))) {
        matches.add(r);
        if (matches.size() == 2) break;
      }
    }
    if (matches.isEmpty()) return null;
    // Two rows of one chunk with the same new key: the second is the one that collides.
    return state.equals("23505") && matches.size() == 2 ? matches.get(1) : matches.get(0);
  }

  private Future<Found> replay(SqlConnection conn) {
    List<Future<RowSet<io.vertx.sqlclient.Row>>> results = new ArrayList<>(rows.size());
    // Plain BEGIN/ROLLBACK around pipelined single-row statements: after the first failure the
    // server refuses the rest (25P02) until the ROLLBACK, so nothing here can ever commit.
    Future<?> begin = conn.query("BEGIN").execute();
    for (InputRow r : rows) results.add(conn.preparedQuery(statement.sql()).execute(tupleOf(r)));
    Future<?> rollback = conn.query("ROLLBACK").execute();
    List<Future<?>> all = new ArrayList<>(results);
    all.add(begin);
    all.add(rollback);
    return Future.join(all).transform(ar -> {
      for (int i = 0; i < results.size(); i++) {
        Future<?> r = results.get(i);
        if (r.failed() && r.cause() instanceof PgException pg && !"25P02".equals(pg.getSqlState())) {
          return Future.succeededFuture(new Found(rows.get(i), pg));
        }
      }
      return Future.succeededFuture(null);
    });
  }

  private Tuple tupleOf(InputRow r) {
    Tuple t = Tuple.tuple();
    for (int ci : statement.columns()) {
      Object[] one = Values.newArray(target.columns.get(ci).type(), 1);
      one[0] = r.values()[ci];
      t.addValue(one);
    }
    return t;
  }

  private ApiError error(InputRow row, PgException pg) {
    ErrorMapper.SqlState rule = ErrorMapper.clientDataRule(pg);
    if (rule == null) return ErrorMapper.map(pg);
    String field = target.exposedOrNull(pg.getColumn());
    if (field == null) field = target.fieldOfConstraint(pg.getConstraint());
    String reason = rule.reason();
    JsonObject details = row == null ? new JsonObject()
        : RowReader.rowsDetails(List.of(new RowError(row.index(), row.line(), field, reason)));
    if (operation >= 0) details.put("operation", operation);
    String who = row == null ? "A row" : row.line() > 0 ? "Line " + row.line() + " (row " + row.index() + ")" : "Row " + row.index();
    String message = who + " was refused: " + (field == null ? "" : "field '" + field + "' ") + reason + ".";
    return new ApiError(rule.status(), rule.code(), message, details);
  }
}
