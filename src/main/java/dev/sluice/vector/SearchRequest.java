package dev.sluice.vector;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.data.Filters;
import dev.sluice.data.Selection;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A search or similar request, parsed and validated before any SQL is built: the vector (its
 * length, every element a finite number), k in 1..1000, the selection and filters, and the
 * per-query knobs inside their configured ranges. Every problem is a 400 that names it.
 *
 * @param vector the query vector (search), or null for similar
 * @param id the stored row whose embedding is the query (similar), or null for search
 * @param efSearch hnsw.ef_search for this query, or null for the connection's default
 * @param probes ivfflat.probes for this query, or null for the connection's default
 * @param exact the index off: a full scan, the reference answer
 */
record SearchRequest(VectorIndexes.Column column, Selection selection, Filters filters, long tenant, Float[] vector,
                     Object id, int k, Integer efSearch, Integer probes, boolean exact) {

  static final int MAX_K = 1000;
  static final int DEFAULT_K = 10;
  /** Fields of a search body (or of a JSON bus message). */
  static final Set<String> SEARCH_FIELDS = Set.of("vector", "k", "select", "filter", "efSearch", "probes", "exact",
      "column");
  /** Query parameters of similar that are not filters. */
  static final Set<String> SIMILAR_PARAMS = Set.of("k", "select", "efSearch", "probes", "exact", "column");

  Resource resource() {
    return column.resource();
  }

  /** POST /v1/{resource}/search: the JSON body, or for a JSON bus message its own fields. */
  static SearchRequest search(Catalog catalog, VectorIndexes.Columns columns, VectorSettings settings, DataRequest req) {
    Resource r = catalog.require(req.resource());
    SearchBody.Parsed parsed = req.body() != null ? SearchBody.parse(req.body()) : null;
    JsonObject body = parsed != null ? parsed.fields() : req.query();
    for (String f : body.fieldNames()) {
      if (!SEARCH_FIELDS.contains(f)) {
        throw ApiError.badRequest("Unknown field '" + Selection.printable(f) + "' in the search body.",
            new JsonObject().put("allowed", new JsonArray(new ArrayList<>(new java.util.TreeSet<>(SEARCH_FIELDS)))));
      }
    }
    VectorIndexes.Column column = column(columns, r, body.getValue("column"));
    Float[] vector;
    if (parsed != null) {
      if (parsed.vectorProblem() != null) throw parsed.vectorProblem();
      vector = vector(parsed.vector(), column.spec().dimensions(), column.key());
    } else {
      vector = vector(body.getValue("vector"), column.spec().dimensions(), column.key());
    }
    requireDirection(vector, column);
    Object filter = body.getValue("filter");
    if (filter != null && !(filter instanceof String)) {
      throw ApiError.badRequest("filter must be a string in the read filter syntax, e.g. \"section=eq.web\".");
    }
    Filters filters = Filters.parseQueryString(r, (String) filter);
    return build(catalog, settings, req, r, column, body, filters, vector, null);
  }

  /** GET /v1/{resource}/{id}/similar: query parameters, the others being filters as on reads. */
  static SearchRequest similar(Catalog catalog, VectorIndexes.Columns columns, VectorSettings settings, DataRequest req) {
    Resource r = catalog.require(req.resource());
    JsonObject query = req.query() == null ? new JsonObject() : req.query();
    VectorIndexes.Column column = column(columns, r, single(query, "column"));
    Object id;
    try {
      id = r.primaryKeyType().parse(req.id());
    } catch (RuntimeException e) {
      throw ApiError.badRequest("The id must be " + r.primaryKeyType().describe() + ".");
    }
    JsonObject flat = new JsonObject();
    for (String k : SIMILAR_PARAMS) if (query.getValue(k) != null) flat.put(k, single(query, k));
    Filters filters = Filters.parse(r, query, SIMILAR_PARAMS);
    return build(catalog, settings, req, r, column, flat, filters, null, id);
  }

  private static SearchRequest build(Catalog catalog, VectorSettings settings, DataRequest req, Resource r,
                                     VectorIndexes.Column column, JsonObject fields, Filters filters, Float[] vector,
                                     Object id) {
    Object select = fields.getValue("select");
    if (select != null && !(select instanceof String)) throw ApiError.badRequest("select must be a string, e.g. \"id,package\".");
    Selection selection = Selection.parse(catalog, r, (String) select);
    Integer k = wholeNumber("k", fields.getValue("k"));
    if (k == null) k = DEFAULT_K;
    if (k < 1 || k > MAX_K) {
      throw ApiError.badRequest("k must be between 1 and " + MAX_K + ".",
          new JsonObject().put("field", "k").put("min", 1).put("max", MAX_K));
    }
    boolean exact = bool("exact", fields.getValue("exact"));
    if (exact && !settings.allowExact()) throw ApiError.badRequest("Exact search is switched off on this gateway.");
    Integer ef = wholeNumber("efSearch", fields.getValue("efSearch"));
    Integer probes = wholeNumber("probes", fields.getValue("probes"));
    if (ef != null) {
      knobApplies("efSearch", "hnsw", column);
      inRange("efSearch", ef, settings.efSearch());
    }
    if (probes != null) {
      knobApplies("probes", "ivfflat", column);
      inRange("probes", probes, settings.probes());
    }
    return new SearchRequest(column, selection, filters, req.tenant(), vector, id, k, ef, probes, exact);
  }

  /** The column to search: the one named, or the resource's only vector column. */
  private static VectorIndexes.Column column(VectorIndexes.Columns columns, Resource r, Object named) {
    Map<String, VectorIndexes.Column> cols = columns.byResource().getOrDefault(r.name(), Map.of());
    if (cols.isEmpty()) throw ApiError.badRequest("Resource '" + r.name() + "' has no vector column to search.");
    if (named == null) {
      if (cols.size() == 1) return cols.values().iterator().next();
      throw ApiError.badRequest("Resource '" + r.name() + "' has several vector columns: name one in 'column'.",
          new JsonObject().put("allowed", new JsonArray(new ArrayList<>(cols.keySet()))));
    }
    VectorIndexes.Column c = cols.get(String.valueOf(named));
    if (c == null) {
      throw ApiError.badRequest("Unknown vector column '" + Selection.printable(String.valueOf(named)) + "'.",
          new JsonObject().put("allowed", new JsonArray(new ArrayList<>(cols.keySet()))));
    }
    return c;
  }

  /** The query vector from a JSON bus message: a JSON array of exactly {@code dimensions} finite numbers. */
  static Float[] vector(Object value, int dimensions, String column) {
    if (value == null) throw missing(dimensions);
    if (!(value instanceof JsonArray a)) throw notAnArray();
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      Object e = a.getValue(i);
      if (e instanceof Number n) {
        out[i] = n.floatValue();
        if (!Float.isFinite(out[i])) throw notFinite(i);
      } else if (e instanceof String s && isNonFiniteWord(s)) {
        throw notFinite(i);
      } else {
        throw notANumber(i);
      }
    }
    return vector(out, dimensions, column);
  }

  /** The query vector: exactly {@code dimensions} numbers (their finiteness is checked as they are read). */
  static Float[] vector(float[] values, int dimensions, String column) {
    if (values == null) throw missing(dimensions);
    if (values.length == 0) throw bad("vector", "vector is empty; " + column + " needs " + dimensions + " numbers.", "empty");
    if (values.length != dimensions) {
      throw ApiError.badRequest("vector has " + values.length + " numbers; " + column + " needs " + dimensions + ".",
          new JsonObject().put("field", "vector").put("reason", "wrong_length").put("length", values.length)
              .put("expected", dimensions));
    }
    Float[] out = new Float[dimensions];
    for (int i = 0; i < dimensions; i++) out[i] = values[i];
    return out;
  }

  /** Cosine distance divides by the vector's length: a zero vector has none (pgvector answers NaN), so it is a 400. */
  static void requireDirection(Float[] vector, VectorIndexes.Column column) {
    if (column.spec().metric() != ResourceSpec.Metric.COSINE) return;
    for (Float f : vector) {
      if (f != 0f) return;
    }
    throw bad("vector", "vector is all zeros; " + column.key() + " is searched by cosine distance, which a zero vector does not have.",
        "zero_vector");
  }

  private static ApiError missing(int dimensions) {
    return bad("vector", "vector is required: a JSON array of " + dimensions + " numbers.", "missing");
  }

  static ApiError notAnArray() {
    return bad("vector", "vector must be a JSON array of numbers.", "not_an_array");
  }

  static ApiError notFinite(int i) {
    return ApiError.badRequest("vector[" + i + "] is not a finite number (NaN and Infinity are not allowed, "
            + "and values must fit a 32-bit float).",
        new JsonObject().put("field", "vector").put("reason", "not_finite").put("index", i));
  }

  static ApiError notANumber(int i) {
    return ApiError.badRequest("vector[" + i + "] is not a number.",
        new JsonObject().put("field", "vector").put("reason", "not_a_number").put("index", i));
  }

  static ApiError nonFiniteInBody() {
    return bad("vector", "vector holds NaN or Infinity, which JSON cannot carry and a vector may not hold: "
        + "send finite numbers.", "not_finite");
  }

  static boolean isNonFiniteWord(String s) {
    String t = s.trim();
    return t.equalsIgnoreCase("nan") || t.equalsIgnoreCase("infinity") || t.equalsIgnoreCase("-infinity")
        || t.equalsIgnoreCase("+infinity") || t.equalsIgnoreCase("inf") || t.equalsIgnoreCase("-inf");
  }

  private static Object single(JsonObject query, String name) {
    Object v = query.getValue(name);
    if (v instanceof JsonArray a) {
      if (a.size() != 1) throw ApiError.badRequest("Parameter '" + name + "' may be given once.");
      return a.getValue(0);
    }
    return v;
  }

  /** A whole number from JSON (number) or a query string (text); null when absent. */
  static Integer wholeNumber(String name, Object v) {
    if (v == null) return null;
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) return (int) d;
    } else if (v instanceof String s) {
      try {
        return Integer.parseInt(s.trim());
      } catch (NumberFormatException ignored) {
        // the 400 below
      }
    }
    throw ApiError.badRequest(name + " must be a whole number.", new JsonObject().put("field", name).put("reason", "not_a_whole_number"));
  }

  private static boolean bool(String name, Object v) {
    if (v == null) return false;
    if (v instanceof Boolean b) return b;
    if ("true".equals(v)) return true;
    if ("false".equals(v)) return false;
    throw ApiError.badRequest(name + " must be true or false.");
  }

  private static void knobApplies(String knob, String type, VectorIndexes.Column c) {
    if (c.index() != null && c.index().type().equals(type)) return;
    String has = c.index() == null ? "no ANN index" : "an " + (c.index().hnsw() ? "HNSW" : "IVFFlat") + " index";
    String hint = c.index() == null ? "" : c.index().hnsw() ? " (use efSearch)" : " (use probes)";
    throw ApiError.badRequest(knob + " applies to " + (type.equals("hnsw") ? "HNSW" : "IVFFlat") + " indexes; "
        + c.key() + " has " + has + hint + ".", new JsonObject().put("field", knob).put("index", c.indexType()));
  }

  private static void inRange(String name, int v, VectorSettings.Knob knob) {
    if (!knob.allows(v)) {
      throw ApiError.badRequest(name + " must be between " + knob.min() + " and " + knob.max() + ".",
          new JsonObject().put("field", name).put("min", knob.min()).put("max", knob.max()));
    }
  }

  private static ApiError bad(String field, String message, String reason) {
    return ApiError.badRequest(message, new JsonObject().put("field", field).put("reason", reason));
  }

  /** For logs and tests: what was asked, never the vector itself. */
  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    parts.add(column.key());
    parts.add("k=" + k);
    if (efSearch != null) parts.add("efSearch=" + efSearch);
    if (probes != null) parts.add("probes=" + probes);
    if (exact) parts.add("exact");
    if (id != null) parts.add("similar");
    return "SearchRequest" + parts;
  }
}
