package dev.sluice.sql;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.error.ApiError;

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
 * An {@link Increment} is computed by the UPDATE from the row's current value,
 * so it is atomic under concurrent writes.
 */
public final class MutationSql {
  /**
   * A planned mutation: its SQL and parameters, ready to run in any transaction.
   *
   * @param returning the fields of the written rows to bring back (return=representation), or null
   */
  public record Plan(WriteTarget target, long tenant, String op, String sql, SqlParams params, Selection returning) {}

  /**
   * A relative update of a numeric column, {@code {"priority": {"inc": 1}}}: the column becomes
   * {@code column + by} in the UPDATE itself, so concurrent increments never lose one another.
   * {@code by} is bound with the column's own type (a whole number for integer columns).
   */
  public record Increment(Object by) {}

  private MutationSql() {}

  public static Plan patch(WriteTarget t, long tenant, Filters filters, Map<WriteTarget.Column, Object> set, int cap,
                           Selection returning) {
    requireFilter(filters);
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder("WITH w AS (UPDATE ").append(t.table()).append(" AS t SET ");
    int i = 0;
    for (Map.Entry<WriteTarget.Column, Object> e : set.entrySet()) {
      WriteTarget.Column c = e.getKey();
      sql.append(i++ == 0 ? "" : ", ").append(c.name()).append(" = ");
      Object value = e.getValue();
      if (value instanceof Increment inc) {
        sql.append("t.").append(c.name()).append(" + ");
        value = inc.by();
      }
      sql.append(params.bind(value)).append(Casts.boundAsText(c.type()) ? "::text::" : "::").append(c.type().pgName);
    }
    // Columns the catalog has the gateway keep current (updated_at): a client may not set them (RowReader).
    for (String touched : t.touchOnUpdate()) sql.append(", ").append(touched).append(" = now()");
    String tenantParam = where(sql, t, tenant, filters, params);
    return new Plan(t, tenant, "update", finish(sql, t, params, cap, returning, tenantParam), params, returning);
  }

  public static Plan delete(WriteTarget t, long tenant, Filters filters, int cap, Selection returning) {
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
}
