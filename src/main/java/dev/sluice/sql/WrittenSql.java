package dev.sluice.sql;

import dev.sluice.catalog.WriteTarget;

/**
 * The rows a bulk write wrote, for {@code return=representation}: by the primary keys the chunk
 * inserts returned ({@code $1}), in input order, tenant-scoped ({@code $2}), projected as a read
 * projects them:
 * <pre>
 *   SELECT coalesce(json_agg(json_build_object('id', t.id, ...) ORDER BY w.n), '[]'::json)
 *   FROM unnest($1::int8[]) WITH ORDINALITY AS w(id, n) JOIN leads t ON t.id = w.id WHERE t.org_id = $2
 * </pre>
 */
public final class WrittenSql {
  private WrittenSql() {}

  public static String select(WriteTarget t, Selection returning) {
    String pk = t.primaryKey.name();
    String tenant = t.tenant == null ? "NULL" : "$2";
    StringBuilder sql = new StringBuilder("SELECT coalesce(json_agg(").append(JsonProjection.render(returning, "t", tenant))
        .append(" ORDER BY w.n), '[]'::json) FROM unnest($1::").append(t.primaryKey.type().pgName)
        .append("[]) WITH ORDINALITY AS w(id, n) JOIN ").append(t.table()).append(" t ON t.").append(pk).append(" = w.id");
    if (t.tenant != null) sql.append(" WHERE t.").append(t.tenant.name()).append(" = $2");
    return sql.toString();
  }
}
