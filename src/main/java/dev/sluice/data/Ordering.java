package dev.sluice.data;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed {@code order=} over declared sortable keys, with the primary key appended as the
 * tiebreaker so every ordering is total and keyset pagination is exact.
 */
record Ordering(List<Key> keys, String canonical) {

  record Key(String column, ColumnType type, boolean desc) {}

  static Ordering parse(Resource resource, String order) {
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
        if (!resource.sortable().contains(col) && !col.equals(resource.primaryKey())) {
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
        if (keys.stream().anyMatch(k -> k.column().equals(col))) {
          throw ApiError.badRequest("order names '" + col + "' twice.");
        }
        keys.add(new Key(col, resource.fields().get(col), desc));
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
    for (Key k : keys) c.append(c.length() == 0 ? "" : ",").append(k.column()).append(k.desc() ? ".desc" : ".asc");
    return new Ordering(List.copyOf(keys), c.toString());
  }

  String orderBy(String alias) {
    StringBuilder sb = new StringBuilder(" ORDER BY ");
    for (int i = 0; i < keys.size(); i++) {
      Key k = keys.get(i);
      if (i > 0) sb.append(", ");
      sb.append(alias).append('.').append(k.column()).append(k.desc() ? " DESC" : " ASC");
    }
    return sb.toString();
  }

  /**
   * The keyset predicate "after these values". One row-value comparison when every key runs the
   * same way (a composite index serves it directly); the expanded OR form otherwise.
   */
  void renderAfter(StringBuilder sql, String alias, List<Object> values, SqlParams params) {
    boolean uniform = keys.stream().allMatch(k -> k.desc() == keys.get(0).desc());
    List<String> binds = new ArrayList<>();
    for (Object v : values) binds.add(params.bind(v));
    sql.append(" AND ");
    if (uniform) {
      sql.append('(');
      for (int i = 0; i < keys.size(); i++) sql.append(i > 0 ? ", " : "").append(alias).append('.').append(keys.get(i).column());
      sql.append(keys.get(0).desc() ? ") < (" : ") > (").append(String.join(", ", binds)).append(')');
      return;
    }
    sql.append('(');
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) sql.append(" OR ");
      sql.append('(');
      for (int j = 0; j < i; j++) sql.append(alias).append('.').append(keys.get(j).column()).append(" = ").append(binds.get(j)).append(" AND ");
      Key k = keys.get(i);
      sql.append(alias).append('.').append(k.column()).append(k.desc() ? " < " : " > ").append(binds.get(i)).append(')');
    }
    sql.append(')');
  }
}
