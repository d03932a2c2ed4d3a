package dev.sluice.sql;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code order=} over declared sortable keys, with the primary key appended as the
 * tiebreaker so every ordering is total and keyset pagination is exact. {@code rank(col)} orders by
 * the full-text rank ({@code ts_rank}) of the request's {@code col=fts...} filter: a computed key,
 * selected as {@value #RANK_COLUMN} by the page's inner query, keyset cursors included.
 */
public record Ordering(List<Key> keys, String canonical) {
  /** The output name of the rank in the page's inner query. */
  static final String RANK_COLUMN = "sluice_rank";

  /** @param rankOf the full-text column a rank key ranks, null for a plain column */
  public record Key(String column, ColumnType type, boolean desc, String rankOf) {
    Key(String column, ColumnType type, boolean desc) {
      this(column, type, desc, null);
    }

    String name() {
      return rankOf == null ? column : "rank(" + rankOf + ")";
    }
  }

  static Ordering parse(Resource resource, String order) {
    return parse(resource, order, null);
  }

  /** @param filters the request's filters, which a rank key needs (null: no rank keys) */
  static Ordering parse(Resource resource, String order, Filters filters) {
    List<Key> keys = new ArrayList<>();
    boolean hasPk = false;
    if (order != null && !order.isBlank()) {
      for (String item : order.split(",")) {
        String[] parts = item.trim().split("\\.");
        // "." or ".desc" name no column (split drops the empty leading part only when all are empty)
        if (parts.length == 0 || parts[0].isEmpty()) {
          throw ApiError.badRequest("Bad order item '" + Selection.printable(item) + "'; use field or field.desc.");
        }
        String col = parts[0];
        Key rank = rankKey(resource, col, filters);
        if (rank == null && !resource.sortable().contains(col) && !col.equals(resource.primaryKey())) {
          throw ApiError.badRequest("Cannot order by '" + Selection.printable(col) + "'.",
              new JsonObject().put("allowed", new JsonArray(new ArrayList<>(resource.sortable()))));
        }
        boolean desc = false;
        for (int i = 1; i < parts.length; i++) {
          switch (parts[i]) {
            case "asc" -> desc = false;
            case "desc" -> desc = true;
            case "nullsfirst", "nullslast" -> { } // sortable keys are NOT NULL in the catalog's tables
            default -> throw ApiError.badRequest("Bad order direction '" + Selection.printable(parts[i]) + "'; use asc or desc.");
          }
        }
        if (keys.stream().anyMatch(k -> k.name().equals(col))) {
          throw ApiError.badRequest("order names '" + Selection.printable(col) + "' twice.");
        }
        keys.add(rank != null ? new Key(RANK_COLUMN, rank.type(), desc, rank.rankOf())
            : new Key(col, resource.fields().get(col), desc));
        if (col.equals(resource.primaryKey())) {
          hasPk = true;
          break; // the primary key is unique: nothing after it changes the order
        }
      }
    }
    if (!hasPk) {
      boolean desc = !keys.isEmpty() && keys.get(keys.size() - 1).desc();
      keys.add(new Key(resource.primaryKey(), resource.primaryKeyType(), desc));
    }
    StringBuilder c = new StringBuilder();
    for (Key k : keys) c.append(c.length() == 0 ? "" : ",").append(k.name()).append(k.desc() ? ".desc" : ".asc");
    return new Ordering(List.copyOf(keys), c.toString());
  }

  /** {@code rank(col)}: a rank key when the filters hold a plain {@code col=fts...}; a 400 when they do not. */
  private static Key rankKey(Resource resource, String item, Filters filters) {
    if (!item.startsWith("rank(") || !item.endsWith(")")) return null;
    String col = item.substring(5, item.length() - 1);
    if (!resource.fullText().contains(col)) {
      throw ApiError.badRequest("rank() takes a full-text field, e.g. order=rank(text).desc.",
          new JsonObject().put("allowed", new JsonArray(new ArrayList<>(resource.fullText()))));
    }
    if (filters == null || filters.ftsQuery(col) == null) {
      throw ApiError.badRequest("order=rank(" + col + ") ranks by the request's full-text filter: add " + col
          + "=fts.<words> (not negated, not inside or/and).");
    }
    return new Key(RANK_COLUMN, ColumnType.FLOAT4, false, col);
  }

  /** The full-text column of the rank key, or null when the order has none. */
  String rankOf() {
    for (Key k : keys) if (k.rankOf() != null) return k.rankOf();
    return null;
  }

  /** ORDER BY over the keys as columns of {@code alias} (the rank as its output column). */
  String orderBy(String alias) {
    return orderBy(alias, null);
  }

  /** ORDER BY where the rank key is {@code rankExpr} itself (the query that computes it). */
  String orderBy(String alias, String rankExpr) {
    StringBuilder sb = new StringBuilder(" ORDER BY ");
    for (int i = 0; i < keys.size(); i++) {
      Key k = keys.get(i);
      if (i > 0) sb.append(", ");
      sb.append(expression(k, alias, rankExpr)).append(k.desc() ? " DESC" : " ASC");
    }
    return sb.toString();
  }

  private static String expression(Key k, String alias, String rankExpr) {
    return k.rankOf() != null && rankExpr != null ? rankExpr : alias + "." + k.column();
  }

  /**
   * On a table partitioned by the leading key: the bound that predicate implies on that key alone
   * ({@code key <= v} descending, {@code >=} ascending). PostgreSQL prunes partitions on plain
   * comparisons of the partition key, not on row-value comparisons, so without it every partition
   * past the cursor would still be opened.
   */
  void renderLeadingBound(StringBuilder sql, String alias, String partitionColumn, List<Object> values, SqlParams params) {
    Key first = keys.get(0);
    if (!first.column().equals(partitionColumn)) return;
    sql.append(" AND ").append(alias).append('.').append(first.column()).append(first.desc() ? " <= " : " >= ")
        .append(params.bind(values.get(0)));
  }

  /**
   * The keyset predicate "after these values". One row-value comparison when every key runs the
   * same way (a composite index serves it directly); the expanded OR form otherwise.
   */
  void renderAfter(StringBuilder sql, String alias, List<Object> values, SqlParams params, String rankExpr) {
    boolean uniform = keys.stream().allMatch(k -> k.desc() == keys.get(0).desc());
    List<String> binds = new ArrayList<>();
    for (Object v : values) binds.add(params.bind(v));
    sql.append(" AND ");
    if (uniform) {
      sql.append('(');
      for (int i = 0; i < keys.size(); i++) sql.append(i > 0 ? ", " : "").append(expression(keys.get(i), alias, rankExpr));
      sql.append(keys.get(0).desc() ? ") < (" : ") > (").append(String.join(", ", binds)).append(')');
      return;
    }
    sql.append('(');
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) sql.append(" OR ");
      sql.append('(');
      for (int j = 0; j < i; j++) sql.append(expression(keys.get(j), alias, rankExpr)).append(" = ").append(binds.get(j)).append(" AND ");
      Key k = keys.get(i);
      sql.append(expression(k, alias, rankExpr)).append(k.desc() ? " < " : " > ").append(binds.get(i)).append(')');
    }
    sql.append(')');
  }
}
