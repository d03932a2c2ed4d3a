package dev.sluice.vector;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.sql.Filters;
import dev.sluice.sql.Selection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /admin/vector}: for every vector column, its ANN index (type, operator class, build
 * parameters, size), the table's row count, the search knobs (configured defaults and ranges, and
 * what a search connection's session actually has), and whether PostgreSQL's plan for the
 * gateway's own search statement (default select, no filter, k = 10) uses the index.
 */
final class VectorAdmin {
  private static final String SIZES_SQL = "SELECT pg_total_relation_size(c.oid), "
      + "(SELECT pg_relation_size(i.oid) FROM pg_class i JOIN pg_namespace ins ON ins.oid = i.relnamespace "
      + "WHERE ins.nspname = current_schema() AND i.relname = $2) "
      + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      + "WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')";
  private static final String SESSION_SQL = "SELECT current_setting('hnsw.ef_search', true), "
      + "current_setting('hnsw.iterative_scan', true), current_setting('hnsw.max_scan_tuples', true), "
      + "current_setting('ivfflat.probes', true), current_setting('ivfflat.iterative_scan', true), "
      + "current_setting('ivfflat.max_probes', true), current_setting('plan_cache_mode') "
      // The literal makes PostgreSQL load pgvector while parsing, so its settings exist in this session even
      // when nothing here has used it yet (a fresh PgBouncer server connection): its values, not NULLs.
      + "FROM (SELECT '[0]'::vector) AS pgvector_loaded";
  private static final int PROBE_K = 10;

  private final Catalog catalog;
  private final VectorSettings settings;
  private final VectorIndexes.Columns columns;
  private final SqlClient client;

  VectorAdmin(Catalog catalog, VectorSettings settings, VectorIndexes.Columns columns, SqlClient client) {
    this.catalog = catalog;
    this.settings = settings;
    this.columns = columns;
    this.client = client;
  }

  Future<Buffer> report(DataRequest req) {
    List<Future<JsonObject>> each = new ArrayList<>();
    for (VectorIndexes.Column c : columns.all()) each.add(column(c, req.tenant()));
    Future<JsonObject> session = client.query(SESSION_SQL).execute().map(rs -> {
      Row row = rs.iterator().next();
      return new JsonObject()
          .put("hnsw.ef_search", row.getString(0)).put("hnsw.iterative_scan", row.getString(1))
          .put("hnsw.max_scan_tuples", row.getString(2)).put("ivfflat.probes", row.getString(3))
          .put("ivfflat.iterative_scan", row.getString(4)).put("ivfflat.max_probes", row.getString(5))
          .put("plan_cache_mode", row.getString(6));
    });
    return Future.all(Future.all(each), session).map(v -> {
      JsonArray cols = new JsonArray();
      each.forEach(f -> cols.add(f.result()));
      return new JsonObject()
          .put("columns", cols)
          .put("knobs", new JsonObject()
              .put("efSearch", knob(settings.efSearch()))
              .put("probes", knob(settings.probes()))
              .put("iterativeScan", settings.iterativeScan())
              .put("maxScanTuples", settings.maxScanTuples())
              .put("maxProbes", settings.maxProbes())
              .put("allowExact", settings.allowExact())
              .put("planCacheMode", settings.planCacheMode().setting()))
          .put("session", session.result())
          .toBuffer();
    });
  }

  private Future<JsonObject> column(VectorIndexes.Column c, long tenant) {
    Resource r = c.resource();
    VectorIndexes.Index ix = c.index();
    JsonObject out = new JsonObject()
        .put("resource", r.name())
        .put("column", c.spec().column())
        .put("table", r.table())
        .put("dimensions", c.spec().dimensions())
        .put("metric", c.spec().metric().name().toLowerCase())
        .put("operator", c.spec().metric().operator)
        .put("tenantScoped", r.tenantScoped());
    if (ix != null) {
      JsonObject params = new JsonObject();
      ix.parameters().forEach(params::put);
      out.put("index", new JsonObject().put("name", ix.name()).put("type", ix.type()).put("opclass", ix.opclass())
          .put("parameters", params).put("kind", c.spec().index().label()));
    } else {
      out.put("index", null);
    }
    // every index a search may name with "index", by kind
    JsonObject kinds = new JsonObject();
    c.indexes().forEach((kind, index) -> kinds.put(kind.label(), index.name()));
    out.put("indexes", kinds);
    // candidates per requested row a search through the binary index re-ranks (k x rerank)
    out.put("rerank", c.spec().rerank());
    VectorSettings.IndexBuild declared = settings.indexes().getOrDefault(r.name(), java.util.Map.of()).get(c.spec().column());
    if (declared != null) {
      out.put("declared", new JsonObject().put("type", declared.type()).put("m", declared.m())
          .put("efConstruction", declared.efConstruction()).put("lists", declared.lists()));
    }

    Future<Row> sizes = client.preparedQuery(SIZES_SQL).execute(Tuple.of(r.table(), ix == null ? null : ix.name()))
        .map(rs -> rs.iterator().next());
    Future<Long> rows = client.query("SELECT count(*) FROM " + r.table()).execute()
        .map(rs -> rs.iterator().next().getLong(0));
    SearchRequest probe = probe(c, tenant);
    SearchSql.Statement s = SearchSql.search(probe);
    Future<Object> plan = client.preparedQuery("EXPLAIN (FORMAT JSON) " + s.sql()).execute(s.params().tuple())
        .map(rs -> rs.iterator().next().getValue(0));
    return Future.all(sizes, rows, plan).map(v -> {
      Row size = sizes.result();
      out.put("rows", rows.result()).put("tableBytes", size.getLong(0));
      if (ix != null) out.getJsonObject("index").put("sizeBytes", size.getLong(1));
      JsonObject root = planRoot(plan.result());
      List<String> nodes = new ArrayList<>();
      boolean uses = walk(root, ix == null ? null : ix.name(), nodes);
      return out.put("planner", new JsonObject()
          .put("query", "default select, no filter, k=" + PROBE_K)
          .put("usesIndex", uses)
          .put("plan", new JsonArray(nodes)));
    });
  }

  /** The gateway's search for this column with default select, no filter, k = 10 and a unit vector. */
  private SearchRequest probe(VectorIndexes.Column c, long tenant) {
    Resource r = c.resource();
    Float[] unit = new Float[c.spec().dimensions()];
    java.util.Arrays.fill(unit, 0f);
    unit[0] = 1f;
    return new SearchRequest(c, Selection.parse(catalog, r, null), Filters.parseQueryString(r, null), tenant, unit,
        null, PROBE_K, null, null, false);
  }

  private static JsonObject planRoot(Object explain) {
    JsonArray arr = explain instanceof JsonArray a ? a : new JsonArray(String.valueOf(explain));
    return arr.getJsonObject(0).getJsonObject("Plan");
  }

  /** Lists the plan's nodes depth first ("Index Scan using x"); true when one of them scans {@code index}. */
  private static boolean walk(JsonObject node, String index, List<String> out) {
    String name = node.getString("Node Type");
    String idx = node.getString("Index Name");
    out.add(idx == null ? name : name + " using " + idx);
    boolean uses = index != null && index.equals(idx);
    JsonArray children = node.getJsonArray("Plans");
    if (children != null) {
      for (int i = 0; i < children.size(); i++) uses |= walk(children.getJsonObject(i), index, out);
    }
    return uses;
  }

  private static JsonObject knob(VectorSettings.Tuning k) {
    return new JsonObject().put("default", k.dflt()).put("min", k.min()).put("max", k.max());
  }
}
