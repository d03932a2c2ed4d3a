package dev.sluice.data;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A parsed {@code select=}: exposed fields of the resource and relations in parentheses, e.g.
 * {@code id,title,customer(id,name)}. Only catalog names survive parsing, so everything rendered
 * from a Selection is safe to put in SQL text.
 */
public record Selection(Resource resource, List<String> fields, List<Embed> embeds) {

  record Embed(Resource.Relation relation, Selection selection) {}

  public static Selection parse(Catalog catalog, Resource resource, String select) {
    if (select == null || select.isBlank() || select.equals("*")) {
      return new Selection(resource, resource.defaultSelect(), List.of());
    }
    return parse(catalog, resource, select, 0);
  }

  private static Selection parse(Catalog catalog, Resource resource, String select, int depth) {
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
      if (depth > 0) throw ApiError.badRequest("Relations can be embedded one level deep.");
      Resource target = catalog.require(rel.target());
      embeds.add(new Embed(rel, parse(catalog, target, item.substring(open + 1, item.length() - 1), depth + 1)));
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

  /** A stable key for caching statement text built from this selection. */
  String shapeKey() {
    StringBuilder sb = new StringBuilder(resource.name()).append(':').append(String.join(",", fields));
    for (Embed e : embeds) sb.append(';').append(e.relation().name()).append('(').append(e.selection().shapeKey()).append(')');
    return sb.toString();
  }
}
