package dev.sluice.openapi;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON Schemas (OpenAPI 3.1 speaks JSON Schema 2020-12) for rows, write bodies and filters, from
 * the verified catalog: every field carries the type the live schema has.
 */
final class Schemas {
  private Schemas() {}

  static JsonObject ref(String name) {
    return new JsonObject().put("$ref", "#/components/schemas/" + name);
  }

  static JsonObject type(String type) {
    return new JsonObject().put("type", type);
  }

  /** A field's value as the gateway returns it (every column may be null). */
  static JsonObject column(ColumnType t) {
    JsonObject s = plain(t);
    if (s.containsKey("type")) s.put("type", new JsonArray().add(s.getString("type")).add("null"));
    return s;
  }

  /** A value of the column's type, never null (e.g. a path parameter). */
  static JsonObject plain(ColumnType t) {
    return switch (t) {
      case INT2, INT4 -> type("integer").put("format", "int32");
      case INT8 -> type("integer").put("format", "int64");
      case NUMERIC, FLOAT4, FLOAT8 -> type("number");
      case BOOL -> type("boolean");
      case TEXT -> type("string");
      case UUID_ -> type("string").put("format", "uuid");
      case DATE -> type("string").put("format", "date");
      case TIMESTAMP, TIMESTAMPTZ -> type("string").put("format", "date-time");
      case JSONB -> new JsonObject().put("description", "any JSON value");
      case VECTOR -> type("string").put("description", "pgvector's text form, e.g. \"[0.1,0.2,...]\"");
    };
  }

  /** A field's value in a write body: vectors as arrays of numbers (or the text form). */
  static JsonObject input(ColumnType t) {
    if (t == ColumnType.VECTOR) {
      return new JsonObject().put("type", new JsonArray().add("array").add("string").add("null"))
          .put("items", type("number")).put("description", "an array of numbers of the column's dimensions");
    }
    return column(t);
  }

  /** A row of the resource as returned, with its relations as they appear when selected. */
  static JsonObject row(Resource r) {
    JsonObject props = new JsonObject();
    r.fields().forEach((f, t) -> props.put(f, column(t)));
    for (Resource.Relation rel : r.relations().values()) {
      props.put(rel.name(), rel.kind() == Kind.ONE
          ? new JsonObject().put("oneOf", new JsonArray().add(ref(rel.target())).add(type("null")))
              .put("description", "embedded when named in select, e.g. " + rel.name() + "(id)")
          : new JsonObject().put("type", "array").put("items", ref(rel.target()))
              .put("description", "embedded when named in select; at most " + rel.limit() + " rows"));
    }
    return type("object").put("properties", props)
        .put("description", "A row of " + r.name() + "; only the selected fields are present (default: "
            + String.join(", ", r.defaultSelect()) + ").");
  }

  /** A row in a write body: exposed fields only, none required by the gateway (the table's constraints apply). */
  static JsonObject rowInput(Resource r) {
    JsonObject props = new JsonObject();
    r.fields().forEach((f, t) -> props.put(f, input(t)));
    String tenant = r.tenantScoped() ? " The tenant column (" + r.tenantColumn() + ") is always the caller's tenant." : "";
    return type("object").put("properties", props).put("additionalProperties", false)
        .put("description", "Fields of " + r.name() + "; unknown fields are a 400." + tenant);
  }

  /** The operators a filter on a column of this type accepts; empty when it cannot be filtered. */
  static List<String> operators(Resource r, String field, ColumnType t) {
    List<String> ops = new ArrayList<>();
    if (t == ColumnType.JSONB || t == ColumnType.VECTOR) return ops;
    ops.addAll(List.of("eq", "neq"));
    if (t.comparable()) ops.addAll(List.of("gt", "gte", "lt", "lte", "in"));
    ops.add("is");
    if (t.isText()) ops.addAll(List.of("like", "ilike"));
    if (r.fullText().contains(field)) ops.add("fts");
    return ops;
  }

  /** One query parameter per filterable field, documented with its operators and an example. */
  static JsonArray filterParameters(Resource r) {
    JsonArray out = new JsonArray();
    for (Map.Entry<String, ColumnType> e : r.fields().entrySet()) {
      List<String> ops = operators(r, e.getKey(), e.getValue());
      if (ops.isEmpty()) continue;
      out.add(new JsonObject().put("name", e.getKey()).put("in", "query").put("required", false)
          .put("description", "Filter on " + e.getKey() + " (" + e.getValue().describe() + "): `op.value` with op one of "
              + String.join(", ", ops) + "; prefix `not.` to negate; `in.(a,b)`, `is.null`. Repeat the parameter to combine.")
          .put("schema", type("string"))
          .put("example", example(e.getValue(), ops)));
    }
    return out;
  }

  private static String example(ColumnType t, List<String> ops) {
    return switch (t) {
      case INT2, INT4, INT8 -> "gte.1";
      case NUMERIC, FLOAT4, FLOAT8 -> "lt.10.5";
      case BOOL -> "is.true";
      case UUID_ -> "eq.00000000-0000-0000-0000-000000000000";
      case DATE -> "gte.2026-01-01";
      case TIMESTAMP, TIMESTAMPTZ -> "gte.2026-01-01T00:00:00Z";
      default -> ops.contains("fts") ? "fts.postgres" : "eq.text";
    };
  }

  /** {"error": {"code", "message", "details"}}: the one failure shape. */
  static JsonObject error() {
    return type("object").put("required", new JsonArray().add("error")).put("properties", new JsonObject()
        .put("error", type("object").put("required", new JsonArray().add("code").add("message"))
            .put("properties", new JsonObject()
                .put("code", type("string").put("examples", new JsonArray().add("bad_request").add("unauthorized")
                    .add("forbidden").add("not_found").add("conflict").add("rate_limited").add("overloaded").add("timeout")))
                .put("message", type("string"))
                .put("details", type("object")))));
  }

  /** An object schema with the given integer properties, e.g. {"updated": n}. */
  static JsonObject counts(String... names) {
    JsonObject props = new JsonObject();
    for (String n : names) props.put(n, type("integer"));
    return type("object").put("properties", props);
  }
}
