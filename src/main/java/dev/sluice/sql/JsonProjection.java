package dev.sluice.sql;

import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;

/**
 * Renders a {@link Selection} as one SQL expression that builds the row's JSON inside PostgreSQL,
 * embedded relations included as correlated subqueries (nested ones inside their parent's), so a
 * page with relations is one statement (no N+1) and the gateway passes the JSON text through
 * without decoding it. Every embed is scoped to the caller's tenant when its resource is.
 */
public final class JsonProjection {
  private JsonProjection() {}

  /**
   * For selections whose embeds have their default options (no parameters of their own).
   *
   * @param alias the table alias of the selection's resource in the outer query
   * @param tenantParam the bind placeholder of the caller's tenant, applied to every tenant-scoped embed
   */
  public static String render(Selection sel, String alias, String tenantParam) {
    return render(sel, alias, tenantParam, null);
  }

  /** @param params where embed filters and limits bind their values (null: the embeds must have none) */
  static String render(Selection sel, String alias, String tenantParam, SqlParams params) {
    StringBuilder sb = new StringBuilder("json_build_object(");
    boolean first = true;
    for (String f : sel.fields()) {
      if (!first) sb.append(", ");
      first = false;
      sb.append('\'').append(f).append("', ").append(alias).append('.').append(f);
    }
    int n = 0;
    for (Selection.Embed e : sel.embeds()) {
      if (!first) sb.append(", ");
      first = false;
      sb.append('\'').append(e.relation().name()).append("', ")
          .append(embed(sel.resource(), e, alias, alias + "_" + n++, tenantParam, params));
    }
    return sb.append(')').toString();
  }

  /**
   * One embedded relation as a correlated subquery yielding its JSON: an object (to-one), an array
   * of at most the embed's limit of rows (to-many), or {@code [{"count": n}]} (to-many count, as
   * PostgREST answers {@code leads(count)}).
   */
  static String embed(Resource parent, Selection.Embed e, String parentAlias, String a, String tenantParam, SqlParams params) {
    Resource target = e.selection().resource();
    Resource.Relation rel = e.relation();
    EmbedOptions o = e.options();
    if (params == null && !o.isDefault()) throw new IllegalStateException("embed options need bind parameters");
    StringBuilder where = new StringBuilder(" WHERE ");
    if (rel.kind() == Kind.ONE) {
      where.append(a).append('.').append(target.primaryKey()).append(" = ").append(parentAlias).append('.').append(rel.column());
    } else {
      where.append(a).append('.').append(rel.column()).append(" = ").append(parentAlias).append('.').append(parent.primaryKey());
    }
    if (target.tenantScoped()) where.append(" AND ").append(a).append('.').append(target.tenantColumn()).append(" = ").append(tenantParam);
    o.filters().render(where, a, params);
    String from = " FROM " + target.table() + " " + a + where;
    if (e.count()) return "(SELECT json_build_array(json_build_object('count', count(*)))" + from + ")";
    String inner = render(e.selection(), a, tenantParam, params);
    if (rel.kind() == Kind.ONE) return "(SELECT " + inner + from + ")";
    String order = o.order() == null ? " ORDER BY " + a + "." + target.primaryKey() : o.order().orderBy(a);
    String limit = " LIMIT " + (o.limit() == null ? String.valueOf(o.defaultLimit()) : params.bind(o.limit()));
    if (o.offset() != null) limit += " OFFSET " + params.bind(o.offset());
    return "(SELECT coalesce(json_agg(" + a + "_j.j), '[]'::json) FROM (SELECT " + inner + " AS j" + from + order + limit
        + ") " + a + "_j)";
  }
}
