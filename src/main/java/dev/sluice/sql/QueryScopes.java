package dev.sluice.sql;

import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A read's query parameters split by the level they apply to, as PostgREST's {@code QueryParams}
 * does: a key with a dot is embed-scoped, its last segment the parameter and the rest the embed path
 * ({@code leads.status=eq.new}, {@code leads.order=created_at.desc}, {@code leads.customer.name=like.A*},
 * {@code leads.not.or=(...)}); {@code not.or} / {@code not.and} alone are the root's logic trees.
 * A path that names no embedded relation of the select is a 400, never silently ignored.
 */
final class QueryScopes {
  static final QueryScopes NONE = new QueryScopes(new JsonObject(), Map.of());

  private final JsonObject root;
  private final Map<String, JsonObject> byPath;
  private final Set<String> used = new HashSet<>();

  private QueryScopes(JsonObject root, Map<String, JsonObject> byPath) {
    this.root = root;
    this.byPath = byPath;
  }

  static QueryScopes split(JsonObject query) {
    JsonObject root = new JsonObject();
    Map<String, JsonObject> byPath = new TreeMap<>();
    for (Map.Entry<String, Object> e : query) {
      String key = e.getKey();
      int dot = key.indexOf('.');
      if (dot < 0 || Filters.LOGIC.contains(key)) {
        root.put(key, e.getValue());
        continue;
      }
      List<String> parts = List.of(key.split("\\.", -1));
      int last = parts.size() - 1;
      boolean negatedLogic = last >= 2 && parts.get(last - 1).equals("not")
          && (parts.get(last).equals("or") || parts.get(last).equals("and"));
      int pathEnd = negatedLogic ? last - 1 : last;
      String path = String.join(".", parts.subList(0, pathEnd));
      String param = String.join(".", parts.subList(pathEnd, parts.size()));
      byPath.computeIfAbsent(path, p -> new JsonObject()).put(param, e.getValue());
    }
    return new QueryScopes(root, byPath);
  }

  /** The parameters of the root resource. */
  JsonObject root() {
    return root;
  }

  /** The parameters scoped to the embed at {@code path} (e.g. "leads" or "leads.customer"). */
  JsonObject of(String path) {
    JsonObject p = byPath.get(path);
    if (p == null) return new JsonObject();
    used.add(path);
    return p;
  }

  /** A 400 for scoped parameters whose path the selection does not embed. */
  void requireEmbedded(Selection sel) {
    for (String path : byPath.keySet()) {
      if (!used.contains(path)) {
        throw ApiError.badRequest("Parameters '" + Selection.printable(path) + ".<name>' apply to the relation embedded at '"
            + Selection.printable(path) + "', and select embeds none there.", new JsonObject().put("path", Selection.printable(path)));
      }
    }
  }
}
