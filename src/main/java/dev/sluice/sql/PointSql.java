package dev.sluice.sql;

import dev.sluice.catalog.Resource;

/**
 * The statement of coalesced point reads, one per selection shape: every id asked for in one
 * event-loop turn is read at once, {@code $1} the ids and {@code $2} the tenant (when scoped):
 * <pre>
 *   SELECT t.id, t.id, t.title, ... FROM leads t WHERE t.id = ANY($1::int8[]) AND t.org_id = $2
 * </pre>
 * The primary key comes first, to hand each caller its own row.
 */
public final class PointSql {
  private static final String T = "t";

  private PointSql() {}

  public static String select(Selection sel) {
    Resource r = sel.resource();
    String tenant = r.tenantScoped() ? "$2" : "NULL";
    StringBuilder sql = new StringBuilder("SELECT ").append(T).append('.').append(r.primaryKey()).append(", ")
        .append(SelectList.columns(sel, T, tenant)).append(" FROM ").append(r.table()).append(' ').append(T)
        .append(" WHERE ").append(T).append('.').append(r.primaryKey()).append(" = ANY($1::")
        .append(r.primaryKeyType().pgName).append("[])");
    if (r.tenantScoped()) sql.append(" AND ").append(T).append('.').append(r.tenantColumn()).append(" = $2");
    return sql.toString();
  }
}
