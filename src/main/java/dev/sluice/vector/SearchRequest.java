package dev.sluice.vector;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.IndexKind;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.sql.Filters;
import dev.sluice.sql.Selection;
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
 * @param text the query text to embed with the column's model (when no vector is given), or null
 * @param hybrid reciprocal-rank fusion with the full-text rank of {@code text}, or null for a vector search
 * @param indexKind the index to search through: the request's choice or the catalog's
 */
record SearchRequest(VectorIndexes.Column column, Selection selection, Filters filters, long tenant, Float[] vector,
                     Object id, int k, Integer efSearch, Integer probes, boolean exact, String text, Hybrid hybrid,
                     IndexKind indexKind) {

  SearchRequest(VectorIndexes.Column column, Selection selection, Filters filters, long tenant, Float[] vector,
                Object id, int k, Integer efSearch, Integer probes, boolean exact) {
    this(column, selection, filters, tenant, vector, id, k, efSearch, probes, exact, null, null, column.spec().index());
  }

  /**
   * Hybrid ranking: each row's score is the sum over the two rankings it appears in of
   * weight / (rrfK + rank), ranks from 1 (reciprocal-rank fusion, Cormack et al. 2009).
   *
   * @param textColumn the full-text column whose rank is fused (the resource's first full-text field)
   */
  record Hybrid(double vectorWeight, double textWeight, int rrfK, String textColumn) {}

  static final int DEFAULT_RRF_K = 60;

  static final int MAX_K = 1000;
  static final int DEFAULT_K = 10;
  /** Fields of a search body (or of a JSON bus message). */
  static final Set<String> SEARCH_FIELDS = Set.of("vector", "k", "select", "filter", "efSearch", "probes", "exact",
      "column", "text", "mode", "weights", "rrfK", "index");
  /** Query parameters of similar that are not filters. */
  static final Set<String> SIMILAR_PARAMS = Set.of("k", "select", "efSearch", "probes", "exact", "column", "index");

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
    boolean hybridMode = mode(body.getValue("mode"));
    String text = text(body.getValue("text"), column);
    boolean vectorGiven = parsed != null ? parsed.vector() != null || parsed.vectorProblem() != null
        : body.getValue("vector") != null;
    if (text != null && vectorGiven && !hybridMode) {
      throw ApiError.badRequest("Send either vector or text, not both.", new JsonObject().put("field", "text").put("reason", "ambiguous"));
    }
    if (hybridMode && text == null) {
      throw bad("text", "Hybrid search needs text: its words are ranked by full-text search, its meaning by the vector.", "missing");
    }
    Float[] vector = null;
    if (text == null || vectorGiven) {
      if (parsed != null) {
        if (parsed.vectorProblem() != null) throw parsed.vectorProblem();
        vector = vector(parsed.vector(), column.spec().dimensions(), column.key());
      } else {
        vector = vector(body.getValue("vector"), column.spec().dimensions(), column.key());
      }
    }
    Hybrid hybrid = hybridMode ? hybrid(r, body.getValue("weights"), body.getValue("rrfK"))
        : noHybridFields(body);
    if (vector != null) requireDirection(vector, column);
    Object filter = body.getValue("filter");
    if (filter != null && !(filter instanceof String)) {
      throw ApiError.badRequest("filter must be a string in the read filter syntax, e.g. \"section=eq.web\".");
    }
    Filters filters = Filters.parseQueryString(r, (String) filter);
    return build(catalog, settings, req, r, column, body, filters, vector, null, text, hybrid);
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
    return build(catalog, settings, req, r, column, flat, filters, null, id, null, null);
  }

  private static SearchRequest build(Catalog catalog, VectorSettings settings, DataRequest req, Resource r,
                                     VectorIndexes.Column column, JsonObject fields, Filters filters, Float[] vector,
                                     Object id, String text, Hybrid hybrid) {
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
    IndexKind kind = indexKind(column, fields.getValue("index"));
    return new SearchRequest(column, selection, filters, req.tenant(), vector, id, k, ef, probes, exact, text, hybrid, kind);
  }

  /** The same request with the vector its text was embedded into. */
  SearchRequest withVector(float[] embedded) {
    Float[] v = new Float[embedded.length];
    for (int i = 0; i < v.length; i++) v[i] = embedded[i];
    return new SearchRequest(column, selection, filters, tenant, v, id, k, efSearch, probes, exact, text, hybrid, indexKind);
  }

  /** The index the search goes through (null: none, a full scan). */
  VectorIndexes.Index index() {
    return column.indexes().get(indexKind);
  }

  /** Rows the index is asked for: k, or k × rerank candidates for the binary index (re-ranked exactly). */
  int candidates() {
    return indexKind == IndexKind.BINARY ? Math.min(MAX_K * 10, k * column.spec().rerank()) : k;
  }

  private static boolean mode(Object v) {
    if (v == null || "vector".equals(v)) return false;
    if ("hybrid".equals(v)) return true;
    throw ApiError.badRequest("mode must be vector or hybrid.", new JsonObject().put("field", "mode")
        .put("allowed", new JsonArray().add("vector").add("hybrid")));
  }

  /** The query text: a non-empty string, for a column that has a model to embed it with. */
  private static String text(Object v, VectorIndexes.Column column) {
    if (v == null) return null;
    if (!(v instanceof String s)) throw bad("text", "text must be a string.", "not_a_string");
    if (s.isBlank()) throw bad("text", "text is empty: send the words to search for.", "empty");
    if (column.spec().model() == null) {
      throw bad("text", column.key() + " has no embedding model in the catalog: send a vector instead.", "no_model");
    }
    return s;
  }

  private static Hybrid hybrid(Resource r, Object weights, Object rrfK) {
    if (r.fullText().isEmpty()) {
      throw bad("mode", "Resource '" + r.name() + "' has no full-text field, so it has no hybrid search.", "no_full_text");
    }
    double vw = 1;
    double tw = 1;
    if (weights != null) {
      if (!(weights instanceof JsonObject w)) {
        throw bad("weights", "weights must be an object such as {\"vector\": 1, \"text\": 0.5}.", "not_an_object");
      }
      for (String f : w.fieldNames()) {
        if (!f.equals("vector") && !f.equals("text")) {
          throw bad("weights", "weights has the fields vector and text only.", "unknown_field");
        }
      }
      vw = weight(w.getValue("vector"), "vector");
      tw = weight(w.getValue("text"), "text");
      if (vw == 0 && tw == 0) throw bad("weights", "At least one weight must be above 0.", "all_zero");
    }
    Integer kk = wholeNumber("rrfK", rrfK);
    int rk = kk == null ? DEFAULT_RRF_K : kk;
    if (rk < 0 || rk > 10_000) {
      throw ApiError.badRequest("rrfK must be between 0 and 10000.", new JsonObject().put("field", "rrfK").put("min", 0).put("max", 10_000));
    }
    return new Hybrid(vw, tw, rk, r.fullText().get(0));
  }

  private static double weight(Object v, String name) {
    if (v == null) return 1;
    if (v instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() >= 0 && n.doubleValue() <= 1000) {
      return n.doubleValue();
    }
    throw bad("weights", "weights." + name + " must be a number between 0 and 1000.", "out_of_range");
  }

  /** weights and rrfK belong to hybrid mode: naming them in a vector search is a mistake worth saying. */
  private static Hybrid noHybridFields(JsonObject body) {
    for (String f : List.of("weights", "rrfK")) {
      if (body.getValue(f) != null) throw bad(f, f + " applies to \"mode\": \"hybrid\" only.", "hybrid_only");
    }
    return null;
  }

  private static IndexKind indexKind(VectorIndexes.Column column, Object v) {
    if (v == null) return column.spec().index();
    for (IndexKind kind : IndexKind.values()) {
      if (kind.label().equals(v) && column.indexes().containsKey(kind)) return kind;
    }
    JsonArray allowed = new JsonArray();
    column.indexes().keySet().forEach(kind -> allowed.add(kind.label()));
    throw ApiError.badRequest("index must be one of the indexes " + column.key() + " has.",
        new JsonObject().put("field", "index").put("allowed", allowed));
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
    return bad("vector", "vector is required: a JSON array of " + dimensions + " numbers (or send text, "
        + "where the catalog gives the column a model).", "missing");
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

  private static void inRange(String name, int v, VectorSettings.Tuning knob) {
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
    if (text != null) parts.add("text");
    if (hybrid != null) parts.add("hybrid");
    if (indexKind != column.spec().index()) parts.add("index=" + indexKind.label());
    if (id != null) parts.add("similar");
    return "SearchRequest" + parts;
  }
}
