package dev.sluice.sql;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code select=}: exposed fields of the resource and relations in parentheses, e.g.
 * {@code id,title,customer(id,name)}, two levels deep ({@code id,leads(id,customer(id,name))}), or
 * a to-many relation's row count ({@code leads(count)}, as PostgREST writes it). Each embed has its
 * own filters, order and limit from {@code <path>.<param>} query parameters ({@link EmbedOptions}).
 * Only catalog names survive parsing, so everything rendered from a Selection is safe to put in SQL text.
 */
public record Selection(Resource resource, List<String> fields, List<Embed> embeds) {
  /** How deep relations may be embedded: {@code leads(customer(...))} under customers is two. */
  static final int MAX_DEPTH = 2;

  /** @param count {@code leads(count)}: the number of related rows instead of the rows */
  public record Embed(Resource.Relation relation, Selection selection, EmbedOptions options, boolean count) {}

  /** A selection whose embeds take their default options (no embed-scoped parameters): point reads, searches. */
  public static Selection parse(Catalog catalog, Resource resource, String select) {
    return parse(catalog, resource, select, QueryScopes.NONE, Integer.MAX_VALUE);
  }

  /**
   * @param scopes the request's embed-scoped parameters ({@code leads.order=...})
   * @param embedMaxRows the most rows a to-many embed may be asked for ({@code reads.embedMaxRows})
   */
  static Selection parse(Catalog catalog, Resource resource, String select, QueryScopes scopes, int embedMaxRows) {
    Selection sel = select == null || select.isBlank() || select.equals("*")
        ? new Selection(resource, resource.defaultSelect(), List.of())
        : parse(catalog, resource, select, "", scopes, embedMaxRows, 0);
    scopes.requireEmbedded(sel);
    return sel;
  }

  private static Selection parse(Catalog catalog, Resource resource, String select, String path, QueryScopes scopes,
                                 int embedMaxRows, int depth) {
    Set<String> fields = new LinkedHashSet<>();
    List<Embed> embeds = new ArrayList<>();
    for (String item : splitTopLevel(select)) {
      int open = item.indexOf('(');
      if (open < 0) {
        if (item.equals("*")) {
          fields.addAll(resource.defaultSelect());
        } else if (resource.hasField(item)) {
          fields.add(item);
        } else {
          throw ApiError.badRequest("Unknown field in select: '" + printable(item) + "'.",
              new JsonObject().put("allowed", allowed(resource)));
        }
        continue;
      }
      if (!item.endsWith(")")) throw ApiError.badRequest("Malformed select near '" + printable(item) + "'.");
      String name = item.substring(0, open);
      Resource.Relation rel = resource.relations().get(name);
      if (rel == null) {
        throw ApiError.badRequest("Unknown relation in select: '" + printable(name) + "'.",
            new JsonObject().put("allowed", allowed(resource)));
      }
      if (depth + 1 > MAX_DEPTH) throw ApiError.badRequest("Relations can be embedded " + MAX_DEPTH + " levels deep.");
      Resource target = catalog.require(rel.target());
      String inner = item.substring(open + 1, item.length() - 1).trim();
      String embedPath = path + name;
      EmbedOptions options = EmbedOptions.parse(target, rel, embedPath, scopes.of(embedPath), embedMaxRows);
      if (inner.equals("count") && !target.hasField("count")) {
        if (rel.kind() != Kind.MANY) throw ApiError.badRequest("count goes with a to-many relation, e.g. leads(count).");
        if (options.order() != null || options.limit() != null || options.offset() != null) {
          throw ApiError.badRequest(embedPath + "(count) counts every matching row: order, limit and offset do not apply.");
        }
        embeds.add(new Embed(rel, new Selection(target, List.of(), List.of()), options, true));
      } else {
        embeds.add(new Embed(rel, parse(catalog, target, inner, embedPath + ".", scopes, embedMaxRows, depth + 1),
            options, false));
      }
    }
    if (fields.isEmpty() && embeds.isEmpty()) throw ApiError.badRequest("select names no field.");
    return new Selection(resource, List.copyOf(fields), List.copyOf(embeds));
  }

  static io.vertx.core.json.JsonArray allowed(Resource resource) {
    io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
    resource.fields().keySet().forEach(a::add);
    resource.relations().keySet().forEach(r -> a.add(r + "(...)"));
    return a;
  }

  /** Splits on commas outside parentheses. */
  static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') depth++;
      else if (c == ')' && --depth < 0) throw ApiError.badRequest("Unbalanced parentheses in select.");
      else if (c == ',' && depth == 0) {
        add(out, s.substring(start, i));
        start = i + 1;
      }
    }
    if (depth != 0) throw ApiError.badRequest("Unbalanced parentheses in select.");
    add(out, s.substring(start));
    return out;
  }

  private static void add(List<String> out, String item) {
    String t = item.trim();
    if (t.isEmpty()) throw ApiError.badRequest("select has an empty item.");
    out.add(t);
  }

  public static String printable(String s) {
    return s.length() <= 64 && s.matches("[A-Za-z0-9_.*()\\- ]*") ? s : "(invalid name)";
  }

  /** A stable key for caching statement text built from this selection (point reads: default embed options). */
  public String shapeKey() {
    StringBuilder sb = new StringBuilder(resource.name()).append(':').append(String.join(",", fields));
    for (Embed e : embeds) {
      sb.append(';').append(e.relation().name()).append('(').append(e.count() ? "count" : e.selection().shapeKey()).append(')');
    }
    return sb.toString();
  }

  /** Every resource embedded at any depth: a write to one of them changes this selection's answer. */
  public List<String> embeddedResources() {
    List<String> out = new ArrayList<>();
    for (Embed e : embeds) {
      out.add(e.relation().target());
      out.addAll(e.selection().embeddedResources());
    }
    return out;
  }
}
