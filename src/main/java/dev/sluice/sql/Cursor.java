package dev.sluice.sql;

import dev.sluice.catalog.ColumnType;
import dev.sluice.error.ApiError;
import dev.sluice.input.TextValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The opaque {@code after} cursor: the last row's sort values, bound to the resource, ordering and
 * filters it was made for. A cursor replayed with another of those is a 400, not a wrong page.
 * Values are re-parsed with the column types and bound as parameters, so an edited cursor can at
 * worst move the page, never inject anything.
 */
public final class Cursor {
  private Cursor() {}

  public static String encode(String resource, Ordering order, Filters filters, List<Object> values) {
    JsonArray v = new JsonArray();
    for (Object o : values) v.add(o == null ? null : o.toString());
    JsonObject c = new JsonObject().put("r", resource).put("o", order.canonical())
        .put("f", Integer.toHexString(filters.canonical().hashCode())).put("v", v);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(c.encode().getBytes(StandardCharsets.UTF_8));
  }

  static List<Object> decode(String cursor, String resource, Ordering order, Filters filters) {
    JsonObject c;
    try {
      c = new JsonObject(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw ApiError.badRequest("The after cursor is not valid.");
    }
    // A forged cursor may hold anything: every field is checked for its JSON type, not cast.
    if (!resource.equals(c.getValue("r")) || !order.canonical().equals(c.getValue("o"))
        || !Integer.toHexString(filters.canonical().hashCode()).equals(c.getValue("f"))) {
      throw ApiError.badRequest("The after cursor was made for another resource, order or filter; start again without it.");
    }
    if (!(c.getValue("v") instanceof JsonArray v) || v.size() != order.keys().size()) {
      throw ApiError.badRequest("The after cursor is not valid.");
    }
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      if (!(v.getValue(i) instanceof String s)) throw ApiError.badRequest("The after cursor is not valid.");
      ColumnType type = order.keys().get(i).type();
      try {
        if (type.isText() && TextValues.problem(s) != null) throw new IllegalArgumentException();
        out.add(type.parse(s));
      } catch (RuntimeException e) {
        throw ApiError.badRequest("The after cursor is not valid.");
      }
    }
    return out;
  }
}
