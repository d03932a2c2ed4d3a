package dev.sluice.sql;

/**
 * The select list of point reads and pages: the selected fields as plain columns (the gateway
 * encodes them, see {@code data.JsonRows}), then one {@code (subquery)::text} per embedded relation,
 * whose JSON PostgreSQL builds ({@link JsonProjection#embed}).
 */
public final class SelectList {
  private SelectList() {}

  public static String columns(Selection sel, String alias, String tenantParam) {
    return columns(sel, alias, tenantParam, null);
  }

  /** @param params where the embeds' own filters and limits bind their values (null when they have none) */
  public static String columns(Selection sel, String alias, String tenantParam, SqlParams params) {
    StringBuilder sb = new StringBuilder();
    for (String f : sel.fields()) sb.append(sb.length() == 0 ? "" : ", ").append(alias).append('.').append(f);
    int n = 0;
    for (Selection.Embed e : sel.embeds()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(JsonProjection.embed(sel.resource(), e, alias, alias + "_" + n++,
          tenantParam, params)).append("::text");
    }
    return sb.toString();
  }

  /** How many columns {@link #columns} yields. */
  public static int width(Selection sel) {
    return sel.fields().size() + sel.embeds().size();
  }
}
