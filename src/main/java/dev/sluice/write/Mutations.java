package dev.sluice.write;

import dev.sluice.data.Filters;
import dev.sluice.data.JsonProjection;
import dev.sluice.data.Selection;
import dev.sluice.data.SqlParams;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.SqlConnection;

import java.lang.reflect.Array;
import java.util.Map;

/**
 * Filtered update and delete, tenant-scoped, with the read path's filters. One statement each,
 * which also brings back the exact count and up to {@code cap + 1} primary keys for the change
 * event (the data-modifying CTE runs once, whatever reads it), and with {@code Prefer:
 * return=representation} the written rows as JSON:
 * <pre>
 *   WITH w AS (UPDATE leads AS t SET title = $1, priority = t.priority + $2::int4 WHERE t.org_id = $3
 *              AND t.status = $4 RETURNING t.id)
 *   SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $5)
 *     [, (SELECT coalesce(json_agg(json_build_object('id', t.id, ...)), '[]'::json) FROM w t)]
 * </pre>
 * An increment ({@link Values.Increment}) is computed by the UPDATE from the row's current value,
 * so it is atomic under concurrent writes.
 */
final class Mutations {
  /**
   * A planned mutation: its SQL and parameters, ready to run in any transaction.
   *
   * @param returning the fields of the written rows to bring back (return=representation), or null
   */
  record Plan(WriteTarget target, long tenant, String op, String sql, SqlParams params, Selection returning) {}

  /** What a mutation did: the exact count, and the written rows when asked (a JSON array, else null). */
  record Outcome(long count, JsonArray rows) {
    /** The response body: {@code {"<verb>": n}}, with {@code "data": [...]} under return=representation. */
    JsonObject body(String verb) {
      JsonObject o = new JsonObject().put(verb, count);
      return rows == null ? o : o.put("data", rows);
    }
  }

  private Mutations() {}

  static Plan patch(WriteTarget t, long tenant, Filters filters, Map<WriteTarget.Column, Object> set, int cap,
                    Selection returning) {
    requireFilter(filters);
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder("WITH w AS (UPDATE ").append(t.table()).append(" AS t SET ");
    int i = 0;
    for (Map.Entry<WriteTarget.Column, Object> e : set.entrySet()) {
      WriteTarget.Column c = e.getKey();
      sql.append(i++ == 0 ? "" : ", ").append(c.name()).append(" = ");
      Object value = e.getValue();
      if (value instanceof Values.Increment inc) {
        sql.append("t.").append(c.name()).append(" + ");
        value = inc.by();
      }
      sql.append(params.bind(value)).append(Values.boundAsText(c.type()) ? "::text::" : "::").append(c.type().pgName);
    }
    // Columns the catalog has the gateway keep current (updated_at): a client may not set them (RowReader).
    for (String touched : t.touchOnUpdate()) sql.append(", ").append(touched).append(" = now()");
    String tenantParam = where(sql, t, tenant, filters, params);
    return new Plan(t, tenant, "update", finish(sql, t, params, cap, returning, tenantParam), params, returning);
  }

  static Plan delete(WriteTarget t, long tenant, Filters filters, int cap, Selection returning) {
    requireFilter(filters);
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder("WITH w AS (DELETE FROM ").append(t.table()).append(" AS t");
    String tenantParam = where(sql, t, tenant, filters, params);
    return new Plan(t, tenant, "delete", finish(sql, t, params, cap, returning, tenantParam), params, returning);
  }

  private static void requireFilter(Filters filters) {
    if (filters.isEmpty()) {
      throw ApiError.badRequest("A filter is required (for example id=in.(1,2,3)); to change every row, say so with a filter "
          + "that matches them all.");
    }
  }

  /** Appends the tenant-scoped WHERE; returns the tenant's placeholder ("NULL" for a shared resource). */
  private static String where(StringBuilder sql, WriteTarget t, long tenant, Filters filters, SqlParams params) {
    sql.append(" WHERE TRUE");
    String tenantParam = "NULL";
    if (t.tenant != null) {
      tenantParam = params.bind(tenant);
      sql.append(" AND t.").append(t.tenant.name()).append(" = ").append(tenantParam);
    }
    filters.render(sql, "t", params);
    return tenantParam;
  }

  private static String finish(StringBuilder sql, WriteTarget t, SqlParams params, int cap, Selection returning,
                               String tenantParam) {
    String pk = t.primaryKey.name();
    sql.append(" RETURNING t.").append(returning == null ? pk : "*").append(") SELECT (SELECT count(*) FROM w), ARRAY(SELECT ")
        .append(pk).append(" FROM w LIMIT ").append(params.bind(cap + 1L)).append(')');
    if (returning != null) {
      // The rows as written (RETURNING gives the new values), projected as a read projects them;
      // embeds are tenant-scoped like any read's.
      sql.append(", (SELECT coalesce(json_agg(").append(JsonProjection.render(returning, "t", tenantParam))
          .append("), '[]'::json) FROM w t)");
    }
    return sql.toString();
  }

  /** Runs a plan in the caller's transaction; notes the change; returns the exact count (and the rows when asked). */
  static Future<Outcome> run(SqlConnection conn, Plan p, Changes changes, int operation) {
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
          return new Outcome(n, p.returning() == null ? null : rows(row.getValue(2)));
        });
  }

  private static JsonArray rows(Object json) {
    return json instanceof JsonArray a ? a : new JsonArray(String.valueOf(json));
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
