package dev.sluice.sql;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import dev.sluice.input.TextValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * PostgREST-style filters ({@code status=eq.new}, {@code id=in.(1,2)}, {@code title=ilike.*roof*},
 * {@code text=fts.postgres}, each optionally negated with {@code not.}), typed against the column
 * types, and PostgREST's logic trees ({@code or=(status.eq.new,and(priority.gte.4,not.title.like.*x*))},
 * {@code and=(...)}, {@code not.or=(...)}; see {@link LogicTree}). The parse is a tree of
 * {@link Node}s, all joined by AND at the top, rendered to SQL in one place. Column names come from
 * the catalog; every value is a bind parameter.
 */
public final class Filters {
  /** Query parameters that are not filters. */
  static final Set<String> RESERVED = Set.of("select", "order", "limit", "after", "page", "count", "offset");
  /** The keys of logic trees, as PostgREST spells them. */
  static final Set<String> LOGIC = Set.of("or", "and", "not.or", "not.and");

  enum Op { EQ, NEQ, GT, GTE, LT, LTE, IN, IS, LIKE, ILIKE, FTS }

  /** A node of the filter tree: one column's filter, or a group of nodes joined by AND or OR. */
  sealed interface Node permits Filter, Group {}

  record Filter(String column, ColumnType type, Op op, boolean negated, Object value) implements Node {}

  record Group(boolean or, boolean negated, List<Node> children) implements Node {}

  /** The top-level nodes, joined by AND. */
  private final List<Node> filters;
  /** Canonical text of the filters, to bind cursors and cache keys to them. */
  private final String canonical;

  private Filters(List<Node> filters, String canonical) {
    this.filters = filters;
    this.canonical = canonical;
  }

  static Filters parse(Resource resource, JsonObject query) {
    return parse(resource, query, RESERVED);
  }

  public static Filters parse(Resource resource, JsonObject query, Set<String> reserved) {
    List<Node> out = new ArrayList<>();
    TreeMap<String, List<String>> canonical = new TreeMap<>();
    for (String key : query.fieldNames()) {
      if (reserved.contains(key)) continue;
      if (LOGIC.contains(key)) {
        for (String v : values(query.getValue(key))) {
          out.add(LogicTree.parse(resource, key, v));
          canonical.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
        }
        continue;
      }
      ColumnType type = resource.fields().get(key);
      if (type == null) {
        throw ApiError.badRequest("Unknown filter field '" + Selection.printable(key) + "'.",
            new JsonObject().put("allowed", new JsonArray(new ArrayList<>(resource.fields().keySet()))));
      }
      for (String v : values(query.getValue(key))) {
        out.add(parseOne(resource, key, type, v));
        canonical.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
      }
    }
    canonical.values().forEach(java.util.Collections::sort);
    return new Filters(List.copyOf(out), canonical.toString());
  }

  /** A parameter's values: one, or each of a repeated key's. */
  private static List<String> values(Object raw) {
    List<String> values = new ArrayList<>();
    if (raw instanceof JsonArray a) a.forEach(v -> values.add(String.valueOf(v)));
    else values.add(String.valueOf(raw));
    return values;
  }

  /** Parses a filter string such as "section=eq.web&priority=gte.3" (the search body's form). */
  public static Filters parseQueryString(Resource resource, String qs) {
    JsonObject q = new JsonObject();
    if (qs != null && !qs.isBlank()) {
      for (String part : qs.split("&")) {
        if (part.isEmpty()) continue;
        int eq = part.indexOf('=');
        if (eq <= 0) throw ApiError.badRequest("Malformed filter '" + Selection.printable(part) + "'.");
        String k = decode(part.substring(0, eq));
        String v = decode(part.substring(eq + 1));
        Object prev = q.getValue(k);
        if (prev == null) q.put(k, v);
        else if (prev instanceof JsonArray a) a.add(v);
        else q.put(k, new JsonArray().add(prev).add(v));
      }
    }
    return parse(resource, q, Set.of());
  }

  /** A percent-decoded part of a filter string; a broken escape (%zz, a lone %) is the client's 400. */
  private static String decode(String part) {
    try {
      return java.net.URLDecoder.decode(part, java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("Malformed filter '" + Selection.printable(part) + "': a % must start an escape such as %2C.");
    }
  }

  /** One column's filter: {@code spec} is "[not.]operator.value", as in {@code status=not.eq.new}. */
  static Filter parseOne(Resource resource, String column, ColumnType type, String spec) {
    boolean negated = false;
    String s = spec;
    if (s.startsWith("not.")) {
      negated = true;
      s = s.substring(4);
    }
    int dot = s.indexOf('.');
    if (dot <= 0) throw bad(column, "expected operator.value, e.g. eq.1");
    Op op;
    try {
      op = Op.valueOf(s.substring(0, dot).toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw bad(column, "unknown operator; use eq, neq, gt, gte, lt, lte, in, is, like, ilike or fts");
    }
    String text = s.substring(dot + 1);
    Object value;
    switch (op) {
      case IS -> {
        value = switch (text) {
          case "null", "not_null", "true", "false", "unknown" -> text;
          default -> throw bad(column, "is takes null, not_null, true, false or unknown");
        };
        if ((text.equals("true") || text.equals("false") || text.equals("unknown")) && type != ColumnType.BOOL) {
          throw bad(column, "is." + text + " needs a boolean field");
        }
      }
      case IN -> value = parseList(column, type, text);
      case LIKE, ILIKE -> {
        if (!type.isText()) throw bad(column, op.name().toLowerCase() + " needs a text field");
        value = likePattern(column, checkedText(column, text));
      }
      case FTS -> {
        if (!resource.fullText().contains(column)) throw bad(column, "fts needs a full-text field");
        value = checkedText(column, text);
      }
      default -> {
        if (!type.comparable() && op != Op.EQ && op != Op.NEQ) throw bad(column, "this field cannot be compared");
        value = parseValue(column, type, text);
      }
    }
    return new Filter(column, type, op, negated, value);
  }

  /** Text PostgreSQL can compare: no NUL, no lone surrogate (see {@link TextValues}). */
  private static String checkedText(String column, String text) {
    String problem = TextValues.problem(text);
    if (problem != null) throw bad(column, "the value " + problem);
    return text;
  }

  /**
   * The LIKE pattern of {@code like.*roof*}. A backslash escapes the next character in LIKE, so one
   * that ends the pattern escapes nothing: PostgreSQL refuses it at run time (22025), here it is a 400.
   */
  private static String likePattern(String column, String text) {
    int trailing = 0;
    for (int i = text.length() - 1; i >= 0 && text.charAt(i) == '\\'; i--) trailing++;
    if (trailing % 2 == 1) throw bad(column, "a like pattern may not end with a lone backslash (write \\\\ for a backslash)");
    return text.replace('*', '%');
  }

  private static Object parseValue(String column, ColumnType type, String text) {
    if (type.isText()) return checkedText(column, text);
    try {
      return type.parse(text);
    } catch (IllegalArgumentException e) {
      throw bad(column, "'" + Selection.printable(text) + "' is not " + type.describe());
    }
  }

  /** {@code (1,2,"a,b")}: values separated by commas, double quotes protect commas. */
  private static Object parseList(String column, ColumnType type, String text) {
    if (!text.startsWith("(") || !text.endsWith(")")) throw bad(column, "in takes a list like in.(1,2,3)");
    String body = text.substring(1, text.length() - 1);
    List<String> items = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) {
        items.add(cur.toString());
        cur.setLength(0);
      } else cur.append(c);
    }
    if (!body.isEmpty()) items.add(cur.toString());
    if (items.size() > 10_000) throw bad(column, "in takes at most 10000 values");
    Object first = items.isEmpty() ? null : parseValue(column, type, items.get(0));
    // an empty list (in.()) matches nothing; its array still has the column's element type to bind
    Class<?> elem = first == null ? type.boundClass() : first.getClass();
    Object array = Array.newInstance(elem, items.size());
    for (int i = 0; i < items.size(); i++) Array.set(array, i, i == 0 ? first : parseValue(column, type, items.get(i)));
    return array;
  }

  private static ApiError bad(String column, String reason) {
    return ApiError.badRequest("Bad filter on '" + column + "': " + reason + ".",
        new JsonObject().put("field", column).put("reason", reason));
  }

  public boolean isEmpty() {
    return filters.isEmpty();
  }

  String canonical() {
    return canonical;
  }

  /**
   * The value of the top-level, not negated {@code fts} filter on {@code column}, or null: what a
   * ranked order ({@code order=rank(text).desc}) ranks by.
   */
  Object ftsQuery(String column) {
    for (Node n : filters) {
      if (n instanceof Filter f && f.op() == Op.FTS && !f.negated() && f.column().equals(column)) return f.value();
    }
    return null;
  }

  /** Appends " AND ..." for each top-level node. */
  public void render(StringBuilder sql, String alias, SqlParams params) {
    for (Node n : filters) {
      sql.append(" AND ");
      render(sql, alias, params, n);
    }
  }

  private static void render(StringBuilder sql, String alias, SqlParams params, Node node) {
    if (node instanceof Group g) {
      if (g.negated()) sql.append("NOT ");
      sql.append('(');
      for (int i = 0; i < g.children().size(); i++) {
        if (i > 0) sql.append(g.or() ? " OR " : " AND ");
        render(sql, alias, params, g.children().get(i));
      }
      sql.append(')');
      return;
    }
    Filter f = (Filter) node;
    if (f.negated()) sql.append("NOT ");
    String col = alias + "." + f.column();
    switch (f.op()) {
      case EQ -> sql.append(col).append(" = ").append(params.bind(f.value()));
      case NEQ -> sql.append(col).append(" <> ").append(params.bind(f.value()));
      case GT -> sql.append(col).append(" > ").append(params.bind(f.value()));
      case GTE -> sql.append(col).append(" >= ").append(params.bind(f.value()));
      case LT -> sql.append(col).append(" < ").append(params.bind(f.value()));
      case LTE -> sql.append(col).append(" <= ").append(params.bind(f.value()));
      case IN -> sql.append(col).append(" = ANY(").append(params.bind(f.value())).append("::")
          .append(f.type().pgName).append("[])");
      case LIKE -> sql.append(col).append(" LIKE ").append(params.bind(f.value()));
      case ILIKE -> sql.append(col).append(" ILIKE ").append(params.bind(f.value()));
      case FTS -> sql.append(tsvector(col)).append(" @@ ").append(tsquery(params.bind(f.value())));
      case IS -> sql.append(col).append(switch ((String) f.value()) {
        case "null" -> " IS NULL";
        case "not_null" -> " IS NOT NULL";
        case "true" -> " IS TRUE";
        case "false" -> " IS FALSE";
        default -> " IS UNKNOWN";
      });
    }
  }

  /** The document side of full-text search; the same expression as the GIN index, so the index serves it. */
  static String tsvector(String column) {
    return "to_tsvector('english', " + column + ")";
  }

  static String tsquery(String param) {
    return "plainto_tsquery('english', " + param + ")";
  }
}
