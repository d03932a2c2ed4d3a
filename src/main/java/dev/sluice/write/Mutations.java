package dev.sluice.write;

import dev.sluice.data.Filters;
import dev.sluice.data.SqlParams;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.SqlConnection;

import java.lang.reflect.Array;
import java.util.Map;

/**
 * Filtered update and delete, tenant-scoped, with the read path's filters. One statement each,
 * which also brings back the exact count and up to {@code cap + 1} primary keys for the change
 * event (the data-modifying CTE runs once, whatever reads it):
 * <pre>
 *   WITH w AS (UPDATE leads AS t SET title = $1 WHERE t.org_id = $2 AND t.status = $3 RETURNING t.id)
 *   SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $4)
 * </pre>
 */
final class Mutations {
  /** A planned mutation: its SQL and parameters, ready to run in any transaction. */
  record Plan(WriteTarget target, long tenant, String op, String sql, SqlParams params) {}

  private Mutations() {}

  static Plan patch(WriteTarget t, long tenant, Filters filters, Map<WriteTarget.Column, Object> set, int cap) {
    requireFilter(filters);
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder("WITH w AS (UPDATE ").append(t.table()).append(" AS t SET ");
    int i = 0;
    for (Map.Entry<WriteTarget.Column, Object> e : set.entrySet()) {
      WriteTarget.Column c = e.getKey();
      sql.append(i++ == 0 ? "" : ", ").append(c.name()).append(" = ").append(params.bind(e.getValue()))
          .append(Values.boundAsText(c.type()) ? "::text::" : "::").append(c.type().pgName);
    }
    where(sql, t, tenant, filters, params);
    return new Plan(t, tenant, "update", finish(sql, t, params, cap), params);
  }

  static Plan delete(WriteTarget t, long tenant, Filters filters, int cap) {
    requireFilter(filters);
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder("WITH w AS (DELETE FROM ").append(t.table()).append(" AS t");
    where(sql, t, tenant, filters, params);
    return new Plan(t, tenant, "delete", finish(sql, t, params, cap), params);
  }

  private static void requireFilter(Filters filters) {
    if (filters.isEmpty()) {
      throw ApiError.badRequest("A filter is required (for example id=in.(1,2,3)); to change every row, say so with a filter "
          + "that matches them all.");
    }
  }

  private static void where(StringBuilder sql, WriteTarget t, long tenant, Filters filters, SqlParams params) {
    sql.append(" WHERE TRUE");
    if (t.tenant != null) sql.append(" AND t.").append(t.tenant.name()).append(" = ").append(params.bind(tenant));
    filters.render(sql, "t", params);
  }

  private static String finish(StringBuilder sql, WriteTarget t, SqlParams params, int cap) {
    String pk = t.primaryKey.name();
    return sql.append(" RETURNING t.").append(pk).append(") SELECT (SELECT count(*) FROM w), ARRAY(SELECT ").append(pk)
        .append(" FROM w LIMIT ").append(params.bind(cap + 1L)).append(')').toString();
  }

  /** Runs a plan in the caller's transaction; notes the change; returns the exact count. */
  static Future<Long> run(SqlConnection conn, Plan p, Changes changes, int operation) {
    return conn.preparedQuery(p.sql()).execute(p.params().tuple())
        .recover(err -> Future.failedFuture(refused(err, p, operation)))
        .map(rs -> {
          io.vertx.sqlclient.Row row = rs.iterator().next();
          long n = row.getLong(0);
          Object ids = row.getValue(1);
          int listed = ids == null ? 0 : Array.getLength(ids);
          if (listed == n) {
            for (int i = 0; i < listed; i++) changes.add(p.target(), p.tenant(), p.op(), Array.get(ids, i));
          } else {
            changes.addUnknown(p.target(), p.tenant(), p.op(), n);
          }
          return n;
        });
  }

  /** A data error of a patch or delete: a clear 400/409 naming the field where the database does. */
  private static Throwable refused(Throwable err, Plan p, int operation) {
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
