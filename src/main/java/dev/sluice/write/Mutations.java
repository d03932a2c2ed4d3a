package dev.sluice.write;

import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import dev.sluice.sql.MutationSql;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;

import java.lang.reflect.Array;
import java.util.Map;

/**
 * Runs a filtered update or delete ({@link MutationSql}) in the caller's transaction: the exact
 * count, the primary keys for the change event, and with {@code Prefer: return=representation}
 * the written rows; a data error of the database becomes a 400/409 naming the field.
 */
final class Mutations {
  /** What a mutation did: the exact count, and the written rows when asked (a JSON array, else null). */
  record Outcome(long count, JsonArray rows) {
    /** The response body: {@code {"<verb>": n}}, with {@code "data": [...]} under return=representation. */
    JsonObject body(String verb) {
      JsonObject o = new JsonObject().put(verb, count);
      return rows == null ? o : o.put("data", rows);
    }
  }

  private Mutations() {}

  /** Runs a plan in the caller's transaction; notes the change; returns the exact count (and the rows when asked). */
  static Future<Outcome> run(SqlConnection conn, MutationSql.Plan p, Changes changes, int operation) {
    return conn.preparedQuery(p.sql()).execute(p.params().tuple())
        .recover(err -> Future.failedFuture(refused(err, p, operation)))
        .map(rs -> {
          Row row = rs.iterator().next();
          long n = row.getLong(0);
          Object ids = row.getValue(1);
          int listed = ids == null ? 0 : Array.getLength(ids);
          if (listed == n) {
            for (int i = 0; i < listed; i++) changes.add(p.target(), p.tenant(), p.op(), Array.get(ids, i));
          } else {
            changes.addUnknown(p.target(), p.tenant(), p.op(), n);
          }
          return new Outcome(n, p.returning() == null ? null : rows(row.getValue(2)));
        });
  }

  private static JsonArray rows(Object json) {
    return json instanceof JsonArray a ? a : new JsonArray(String.valueOf(json));
  }

  /** A data error of a patch or delete: a clear 400/409 naming the field where the database does. */
  private static Throwable refused(Throwable err, MutationSql.Plan p, int operation) {
    ErrorMapper.SqlState rule = ErrorMapper.clientDataRule(err);
    if (rule == null) return err;
    PgException pg = (PgException) err;
    String state = pg.getSqlState();
    String field = p.target().exposedOrNull(pg.getColumn());
    if (field == null) field = p.target().fieldOfConstraint(pg.getConstraint());
    JsonObject details = new JsonObject();
    if (field != null) details.put("field", field);
    if (operation >= 0) details.put("operation", operation);
    if (state.equals("23503")) {
      String msg = p.op().equals("delete") ? "A matching row is still referred to by other rows; nothing was deleted."
          : "A new value refers to a row that does not exist; nothing was changed.";
      return new ApiError(409, "conflict", msg, details);
    }
    if (state.equals("23505")) {
      return new ApiError(409, "conflict", "The change would give two rows the same key; nothing was changed.", details);
    }
    return new ApiError(rule.status(), rule.code(), "The change was refused: " + (field == null ? "a value " : "field '" + field + "' ")
        + rule.reason() + "; nothing was changed.", details);
  }
}
