package dev.sluice.sql;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * PostgREST's logic trees, as its {@code QueryParams.pLogicTree} reads them: the key is {@code or},
 * {@code and}, {@code not.or} or {@code not.and}, the value a parenthesised list of
 * {@code field.[not.]op.value} filters and nested {@code [not.]and(...)} / {@code [not.]or(...)}
 * groups, e.g. {@code or=(status.eq.new,and(priority.gte.4,not.title.ilike.*roof*))}. A value ends at
 * the next {@code ,} or {@code )} unless double-quoted ({@code "a,b"}, with {@code \"} and {@code \\}
 * escapes) or a {@code {...}} literal; {@code in.(...)} keeps its own parentheses. Spaces and tabs
 * around names, commas and parentheses are ignored.
 *
 * <p>Hand-written (about a hundred lines) rather than a parser library: the grammar is this small,
 * and each leaf goes to {@link Filters#parseOne}, so a value is checked exactly as in
 * {@code field=op.value}. Only the shape is parsed here.
 */
final class LogicTree {
  /** Deeper nesting is a 400: the parser recurses, and no real filter needs more. */
  static final int MAX_DEPTH = 16;

  private final Resource resource;
  private final String key;
  private final String text;
  private int pos;

  private LogicTree(Resource resource, String key, String text) {
    this.resource = resource;
    this.key = key;
    this.text = text;
  }

  /** Parses {@code key=value}, e.g. {@code not.or=(a.eq.1,b.is.null)}. */
  static Filters.Group parse(Resource resource, String key, String value) {
    boolean negated = key.startsWith("not.");
    boolean or = key.endsWith("or");
    LogicTree p = new LogicTree(resource, key, value);
    p.skipSpace();
    Filters.Group g = p.group(or, negated, 1);
    p.skipSpace();
    if (p.pos != value.length()) throw p.bad("unexpected text after the closing parenthesis");
    return g;
  }

  /** {@code (node, node, ...)} after the group's operator. */
  private Filters.Group group(boolean or, boolean negated, int depth) {
    if (depth > MAX_DEPTH) throw bad("nested more than " + MAX_DEPTH + " levels deep");
    expect('(');
    List<Filters.Node> children = new ArrayList<>();
    do {
      skipSpace();
      children.add(node(depth));
      skipSpace();
    } while (accept(','));
    expect(')');
    return new Filters.Group(or, negated, List.copyOf(children));
  }

  /** A nested group ({@code [not.]and(...)}, {@code [not.]or(...)}) or a filter ({@code field.[not.]op.value}). */
  private Filters.Node node(int depth) {
    String name = name();
    if (name.equals("not") && peek() == '.') {
      int mark = pos;
      pos++;
      String op = name();
      if ((op.equals("and") || op.equals("or")) && peek() == '(') return group(op.equals("or"), true, depth + 1);
      pos = mark;
    }
    if ((name.equals("and") || name.equals("or")) && peek() == '(') return group(name.equals("or"), false, depth + 1);
    if (name.isEmpty()) throw bad("expected a field, and( or or(");
    ColumnType type = resource.fields().get(name);
    if (type == null) {
      throw ApiError.badRequest("Unknown filter field '" + Selection.printable(name) + "' in " + key + ".",
          new JsonObject().put("allowed", new JsonArray(new ArrayList<>(resource.fields().keySet()))));
    }
    expect('.');
    return Filters.parseOne(resource, name, type, operation());
  }

  /** "[not.]op.value" up to the end of the value, a quoted value unquoted. */
  private String operation() {
    StringBuilder spec = new StringBuilder();
    String op = name();
    if (op.equals("not") && peek() == '.') {
      pos++;
      spec.append("not.");
      op = name();
    }
    spec.append(op);
    expect('.');
    spec.append('.');
    if (op.equals("in")) return spec.append(list()).toString();
    return spec.append(value()).toString();
  }

  /** {@code (a,"b,c")} as written (the in-list parser reads it), its end found past quoted commas. */
  private String list() {
    int start = pos;
    expect('(');
    boolean quoted = false;
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == '\\' && quoted && pos < text.length()) pos++;
      else if (c == '"') quoted = !quoted;
      else if (c == ')' && !quoted) return text.substring(start, pos);
    }
    throw bad("in.( is not closed");
  }

  private String value() {
    if (peek() == '"') {
      int mark = pos;
      StringBuilder sb = new StringBuilder();
      pos++;
      while (pos < text.length() && text.charAt(pos) != '"') {
        char c = text.charAt(pos++);
        if (c == '\\' && pos < text.length()) c = text.charAt(pos++);
        sb.append(c);
      }
      if (pos < text.length()) {
        pos++;
        int after = pos;
        skipSpace();
        if (peek() == ',' || peek() == ')') return sb.toString();
        pos = after;
      }
      pos = mark; // not a quoted value after all (PostgREST: a quote not followed by , or ) is text)
    }
    int start = pos;
    if (peek() == '{') {
      int close = text.indexOf('}', pos);
      if (close > 0) {
        pos = close + 1;
        return text.substring(start, pos);
      }
    }
    while (pos < text.length() && text.charAt(pos) != ',' && text.charAt(pos) != ')') pos++;
    return text.substring(start, pos); // spaces are part of a value, as in PostgREST
  }

  /** A field or operator name: everything up to a delimiter, without surrounding spaces. */
  private String name() {
    skipSpace();
    int start = pos;
    while (pos < text.length() && ".,()".indexOf(text.charAt(pos)) < 0) pos++;
    String n = text.substring(start, pos).strip();
    skipSpace();
    return n;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private boolean accept(char c) {
    if (peek() != c) return false;
    pos++;
    return true;
  }

  private void expect(char c) {
    skipSpace();
    if (!accept(c)) throw bad("expected '" + c + "' at position " + (pos + 1));
  }

  private void skipSpace() {
    while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) pos++;
  }

  private ApiError bad(String reason) {
    return ApiError.badRequest("Malformed " + key + " filter: " + reason
        + "; write it as PostgREST does, e.g. " + key + "=(status.eq.new,priority.gte.4).",
        new JsonObject().put("parameter", key).put("reason", reason));
  }
}
