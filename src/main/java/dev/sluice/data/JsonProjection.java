package dev.sluice.data;

import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;

/**
 * Renders a {@link Selection} as one SQL expression that builds the row's JSON inside PostgreSQL,
 * embedded relations included as correlated subqueries, so a page with relations is one statement
 * (no N+1) and the gateway passes the JSON text through without decoding it.
 */
public final class JsonProjection {
  private JsonProjection() {}

  /**
   * @param alias the table alias of the selection's resource in the outer query
   * @param tenantParam the bind placeholder of the caller's tenant, applied to every tenant-scoped embed
   */
  public static String render(Selection sel, String alias, String tenantParam) {
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
      sb.append('\'').append(e.relation().name()).append("', ").append(embed(sel.resource(), e, alias, alias + "_" + n++, tenantParam));
    }
    return sb.append(')').toString();
  }

  /** One embedded relation as a correlated subquery yielding its JSON (an object, or an array for to-many). */
  static String embed(Resource parent, Selection.Embed e, String parentAlias, String a, String tenantParam) {
    Resource target = e.selection().resource();
    Resource.Relation rel = e.relation();
    String tenant = target.tenantScoped() ? " AND " + a + "." + target.tenantColumn() + " = " + tenantParam : "";
    String inner = render(e.selection(), a, tenantParam);
    if (rel.kind() == Kind.ONE) {
      return "(SELECT " + inner + " FROM " + target.table() + " " + a + " WHERE " + a + "." + target.primaryKey()
          + " = " + parentAlias + "." + rel.column() + tenant + ")";
    }
    return "(SELECT coalesce(json_agg(" + a + "_j.j), '[]'::json) FROM (SELECT " + inner + " AS j FROM "
        + target.table() + " " + a + " WHERE " + a + "." + rel.column() + " = " + parentAlias + "." + parent.primaryKey()
        + tenant + " ORDER BY " + a + "." + target.primaryKey() + " LIMIT " + rel.limit() + ") " + a + "_j)";
  }
}
