package dev.sluice.vector;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.SchemaSnapshot;
import dev.sluice.catalog.ResourceSpec.IndexKind;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the ANN index (HNSW or IVFFlat) behind every vector column of the catalog and checks it
 * at start. The query operator of a column comes from its metric in the catalog ({@code <=>},
 * {@code <->}, {@code <#>}); an index only serves {@code ORDER BY col <op> $1} when its operator
 * class is the one of that operator. A column whose only ANN indexes have another operator class
 * is a start-up failure: every search would silently become a full scan. A column without any ANN
 * index is allowed (small tables) and logged. A column's declared dimensions must match the
 * column's type, and a build declared in {@code vector.indexes} must match the live index.
 */
public final class VectorIndexes {
  private static final Logger LOG = Logger.getLogger(VectorIndexes.class.getName());

  /** The halfvec expression index of a column, as PostgreSQL prints it: (embedding)::halfvec(384). */
  private static final Pattern HALFVEC_EXPR = Pattern.compile("^\\(?\\(?([a-z_][a-z0-9_]*)\\)?::halfvec\\((\\d+)\\)\\)?$");
  /** The binary quantisation index: (binary_quantize(embedding))::bit(384). */
  private static final Pattern BINARY_EXPR =
      Pattern.compile("^\\(?\\(?binary_quantize\\(([a-z_][a-z0-9_]*)\\)\\)?::bit\\((\\d+)\\)\\)?$");
  private VectorIndexes() {}

  /** An ANN index: its name, method (hnsw or ivfflat), operator class and build parameters. */
  public record Index(String name, String type, String opclass, Map<String, Integer> parameters, boolean partial) {
    boolean hnsw() {
      return type.equals("hnsw");
    }
  }

  /**
   * A searchable vector column: the index its searches use by default (the catalog's {@code index}
   * kind), or null when none serves its metric, and every usable index by kind (a request may name one).
   */
  public record Column(Resource resource, VectorSpec spec, Index index, Map<IndexKind, Index> indexes) {
    public Column(Resource resource, VectorSpec spec, Index index) {
      this(resource, spec, index, index == null ? Map.of() : Map.of(IndexKind.VECTOR, index));
    }

    String key() {
      return resource.name() + "." + spec.column();
    }

    /** "hnsw", "ivfflat" or "none". */
    String indexType() {
      return index == null ? "none" : index.type();
    }
  }

  /** Every vector column of the catalog, by resource then column, in catalog order. */
  public record Columns(Map<String, Map<String, Column>> byResource) {
    List<Column> all() {
      List<Column> out = new ArrayList<>();
      byResource.values().forEach(m -> out.addAll(m.values()));
      return out;
    }
  }

  /**
   * Reads the schema and checks the live indexes of every vector column (tools and tests; the
   * gateway checks its one start-up snapshot with {@link #check}).
   *
   * @return the columns, or a failed future with a {@link ConfigException} naming the column and the problem
   */
  public static Future<Columns> verify(SqlClient client, Catalog catalog, VectorSettings settings) {
    List<String> tables = catalog.all().values().stream().map(Resource::table).distinct().toList();
    return SchemaSnapshot.read(client, tables).map(schema -> check(catalog, settings, schema));
  }

  /**
   * Checks the live indexes of every vector column in the schema snapshot.
   *
   * @throws ConfigException naming the column and the problem
   */
  public static Columns check(Catalog catalog, VectorSettings settings, SchemaSnapshot schema) {
    List<Resource> withVectors = catalog.all().values().stream().filter(r -> !r.vectors().isEmpty()).toList();
    for (String declared : settings.indexes().keySet()) {
      Resource r = catalog.all().get(declared);
      if (r == null) throw new ConfigException("vector.indexes." + declared + ": is not a declared resource");
      for (String col : settings.indexes().get(declared).keySet()) {
        if (!r.vectors().containsKey(col)) {
          throw new ConfigException("vector.indexes." + declared + "." + col + ": is not a vector column of the resource");
        }
      }
    }
    if (withVectors.isEmpty()) return new Columns(Map.of());
    return check(withVectors, settings, schema);
  }

  private static Columns check(List<Resource> resources, VectorSettings settings, SchemaSnapshot schema) {
    Map<String, List<Index>> byColumn = new LinkedHashMap<>();
    Map<String, List<Index>> halfvec = new LinkedHashMap<>();
    Map<String, List<Index>> binary = new LinkedHashMap<>();
    for (SchemaSnapshot.AnnIndex row : schema.annIndexes()) {
      Index ix = new Index(row.name(), row.method(), row.opclass(),
          parameters(row.method(), row.options().toArray(String[]::new)), row.partial());
      String table = row.table();
      if (row.column() != null) {
        byColumn.computeIfAbsent(table + "." + row.column(), k -> new ArrayList<>()).add(ix);
        continue;
      }
      String expr = row.expression() == null ? "" : row.expression().replace(" ", "");
      Matcher h = HALFVEC_EXPR.matcher(expr);
      Matcher b = BINARY_EXPR.matcher(expr);
      if (h.matches()) halfvec.computeIfAbsent(table + "." + h.group(1) + "/" + h.group(2), k -> new ArrayList<>()).add(ix);
      else if (b.matches()) binary.computeIfAbsent(table + "." + b.group(1) + "/" + b.group(2), k -> new ArrayList<>()).add(ix);
    }
    Map<String, Map<String, Column>> out = new LinkedHashMap<>();
    for (Resource r : resources) {
      Map<String, Column> cols = new LinkedHashMap<>();
      for (VectorSpec spec : r.vectors().values()) {
        String key = "resources." + r.name() + ".vectors." + spec.column();
        SchemaSnapshot.Attribute attribute = schema.attributes(r.table()) == null ? null
            : schema.attributes(r.table()).get(spec.column());
        Integer typmod = attribute == null ? null : attribute.typmod();
        if (typmod != null && typmod > 0 && typmod != spec.dimensions()) {
          throw new ConfigException(key + ".dimensions: is " + spec.dimensions() + " but the column holds vectors of "
              + typmod + " dimensions");
        }
        List<Index> found = byColumn.getOrDefault(r.table() + "." + spec.column(), List.of());
        Index chosen = found.stream()
            .filter(ix -> !ix.partial() && ix.opclass().equals(spec.metric().opclass))
            .findFirst().orElse(null);
        if (chosen == null && found.stream().anyMatch(ix -> !ix.partial())) {
          Index other = found.stream().filter(ix -> !ix.partial()).findFirst().orElseThrow();
          throw new ConfigException(key + ".metric: " + spec.metric().name().toLowerCase() + " searches order by "
              + spec.metric().operator + ", which needs an index with " + spec.metric().opclass + ", but index "
              + other.name() + " uses " + other.opclass() + ": the index would never be used (every search a full scan). "
              + "Change the metric or rebuild the index with " + spec.metric().opclass);
        }
        Map<IndexKind, Index> kinds = new java.util.EnumMap<>(IndexKind.class);
        if (chosen != null) kinds.put(IndexKind.VECTOR, chosen);
        String exprKey = r.table() + "." + spec.column() + "/" + spec.dimensions();
        String halfOps = SearchSql.halfvecOpclass(spec.metric());
        halfvec.getOrDefault(exprKey, List.of()).stream()
            .filter(ix -> !ix.partial() && ix.hnsw() && ix.opclass().equals(halfOps)).findFirst()
            .ifPresent(ix -> kinds.put(IndexKind.HALFVEC, ix));
        binary.getOrDefault(exprKey, List.of()).stream()
            .filter(ix -> !ix.partial() && ix.hnsw() && ix.opclass().equals(SearchSql.BINARY_OPCLASS)).findFirst()
            .ifPresent(ix -> kinds.put(IndexKind.BINARY, ix));
        if (spec.index() != IndexKind.VECTOR && !kinds.containsKey(spec.index())) {
          throw new ConfigException(key + ".index: is " + spec.index().label() + ", but the table has no usable HNSW index on "
              + SearchSql.indexExpression(spec, spec.index(), spec.column()) + " (operator class "
              + (spec.index() == IndexKind.HALFVEC ? halfOps : SearchSql.BINARY_OPCLASS) + "); the migrations build it");
        }
        if (chosen == null) {
          LOG.warning(r.name() + "." + spec.column() + ": no HNSW or IVFFlat index; searches scan the whole table");
        }
        checkDeclared(settings, r, spec, chosen);
        cols.put(spec.column(), new Column(r, spec, kinds.get(spec.index()), java.util.Collections.unmodifiableMap(kinds)));
      }
      out.put(r.name(), java.util.Collections.unmodifiableMap(cols));
    }
    return new Columns(out);
  }

  private static void checkDeclared(VectorSettings settings, Resource r, VectorSpec spec, Index live) {
    VectorSettings.IndexBuild want = settings.indexes().getOrDefault(r.name(), Map.of()).get(spec.column());
    if (want == null) return;
    String key = "vector.indexes." + r.name() + "." + spec.column();
    if (live == null) {
      throw new ConfigException(key + ": declares a " + want.type() + " index, but the column has no usable "
          + want.type() + " index (" + spec.metric().opclass + "); the migrations build it");
    }
    List<String> diffs = new ArrayList<>();
    if (!live.type().equals(want.type())) diffs.add("type " + live.type());
    if (want.m() > 0 && !Integer.valueOf(want.m()).equals(live.parameters().get("m"))) {
      diffs.add("m " + live.parameters().get("m"));
    }
    if (want.efConstruction() > 0 && !Integer.valueOf(want.efConstruction()).equals(live.parameters().get("ef_construction"))) {
      diffs.add("ef_construction " + live.parameters().get("ef_construction"));
    }
    if (want.lists() > 0 && !Integer.valueOf(want.lists()).equals(live.parameters().get("lists"))) {
      diffs.add("lists " + live.parameters().get("lists"));
    }
    if (!diffs.isEmpty()) {
      throw new ConfigException(key + ": the live index " + live.name() + " has " + String.join(", ", diffs)
          + ", not the declared build; run the migrations or correct the declaration");
    }
  }

  /** Build parameters from reloptions, with pgvector's defaults for those not given. */
  static Map<String, Integer> parameters(String type, String[] options) {
    Map<String, Integer> p = new LinkedHashMap<>();
    if (type.equals("hnsw")) {
      p.put("m", 16);
      p.put("ef_construction", 64);
    } else {
      p.put("lists", 100);
    }
    if (options != null) {
      for (String o : options) {
        int eq = o.indexOf('=');
        if (eq <= 0) continue;
        try {
          p.put(o.substring(0, eq), Integer.parseInt(o.substring(eq + 1)));
        } catch (NumberFormatException ignored) {
          // a non-numeric option is not one of the build parameters we report
        }
      }
    }
    return java.util.Collections.unmodifiableMap(p);
  }
}
