package dev.sluice.sql;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;
import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Page SQL of the query grammar (logic trees, nested embeds, embed options, counts, ranks), without a database")
class QuerySqlTest {
  static final Resource CUSTOMERS = resource("customers", "org_id", List.of("id", "org_id", "name", "created_at"),
      List.of("id", "name", "created_at"), Map.of("leads", new Resource.Relation("leads", "leads", Kind.MANY, "customer_id", 20)),
      List.of());
  static final Resource LEADS = resource("leads", "org_id", List.of("id", "org_id", "customer_id", "title", "status", "priority",
      "created_at"), List.of("id", "created_at", "priority"),
      Map.of("customer", new Resource.Relation("customer", "customers", Kind.ONE, "customer_id", 20)), List.of());
  static final Resource DOCUMENTS = resource("documents", null, List.of("id", "section", "text"), List.of("id"), Map.of(),
      List.of("text"));
  static final Catalog CATALOG = new Catalog(Map.of("customers", CUSTOMERS, "leads", LEADS, "documents", DOCUMENTS));
  static final SluiceConfig.Reads READS = new SluiceConfig.Reads(20, 1000, 10_000, 256, 50);

  static Resource resource(String name, String tenant, List<String> names, List<String> sortable,
                           Map<String, Resource.Relation> relations, List<String> fullText) {
    Map<String, ColumnType> fields = new LinkedHashMap<>();
    for (String n : names) {
      fields.put(n, switch (n) {
        case "id", "org_id", "customer_id" -> ColumnType.INT8;
        case "priority" -> ColumnType.INT4;
        case "created_at" -> ColumnType.TIMESTAMPTZ;
        default -> ColumnType.TEXT;
      });
    }
    return new Resource(name, name, "id", ColumnType.INT8, tenant, fields, names, sortable, relations, fullText, Map.of(), 0, 1000);
  }

  static PageQuery plan(String resource, String... kv) {
    JsonObject q = new JsonObject();
    for (int i = 0; i < kv.length; i += 2) q.put(kv[i], kv[i + 1]);
    return PageSql.plan(CATALOG, READS, new DataRequest(resource, 7, null, q, null, true));
  }

  static List<Object> values(PageQuery q) {
    Tuple t = q.params().tuple();
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) out.add(t.getValue(i));
    return out;
  }

  static String bad(String resource, String... kv) {
    ApiError e = assertThrows(ApiError.class, () -> plan(resource, kv));
    assertEquals(400, e.status());
    return e.getMessage();
  }

  @Test
  @DisplayName("or=, and= and not. nest as PostgREST writes them, each leaf typed and bound")
  void logicTrees() {
    PageQuery q = plan("leads", "select", "id", "or", "(status.eq.new,and(priority.gte.4,title.not.ilike.*roof*))",
        "not.and", "(priority.eq.1,status.in.(won,lost))");
    assertEquals("SELECT t.id, t.id FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = $1"
        + " AND (t.status = $2 OR (t.priority >= $3 AND NOT t.title ILIKE $4))"
        + " AND NOT (t.priority = $5 AND t.status = ANY($6::text[]))"
        + " ORDER BY t.id ASC LIMIT $7) t ORDER BY t.id ASC", q.sql());
    List<Object> v = values(q);
    assertEquals(List.of(7L, "new", 4, "%roof%", 1), v.subList(0, 5));
    assertArrayEquals(new String[] {"won", "lost"}, (String[]) v.get(5));
    assertEquals(21, v.get(6));

    PageQuery nested = plan("leads", "select", "id", "or", "(not.or(status.eq.new,status.eq.won),priority.is.null)");
    assertTrue(nested.sql().contains(" AND (NOT (t.status = $2 OR t.status = $3) OR t.priority IS NULL)"), nested.sql());
  }

  @Test
  @DisplayName("logic-tree values: double quotes protect commas and parentheses, backslash escapes, spaces around names")
  void logicValues() {
    PageQuery q = plan("leads", "select", "id",
        "or", "( title.eq.\"a,b)\" , title.eq.\"say \\\"hi\\\"\", title.in.(\"x,y\",z), title.like.a b )");
    assertTrue(q.sql().contains("(t.title = $2 OR t.title = $3 OR t.title = ANY($4::text[]) OR t.title LIKE $5)"), q.sql());
    List<Object> v = values(q);
    assertEquals("a,b)", v.get(1));
    assertEquals("say \"hi\"", v.get(2));
    assertArrayEquals(new String[] {"x,y", "z"}, (String[]) v.get(3));
    assertEquals("a b ", v.get(4));
  }

  @Test
  @DisplayName("malformed logic trees are 400s naming the problem, never 500s")
  void badLogic() {
    assertTrue(bad("leads", "or", "(status.eq.new").contains("Malformed or filter"));
    bad("leads", "or", "status.eq.new");
    bad("leads", "or", "()");
    bad("leads", "or", "(status.eq.new))");
    bad("leads", "and", "(status.eq.new,)");
    bad("leads", "or", "(status.eq.new,xor(priority.eq.1))");
    bad("leads", "or", "(status.nope.new)");
    bad("leads", "or", "(priority.eq.high)");
    bad("leads", "or", "(status.in.(a,b)");
    assertTrue(bad("leads", "or", "(secret.eq.1)").contains("Unknown filter field 'secret'"));
    String deep = "(" + "and(".repeat(LogicTree.MAX_DEPTH) + "status.eq.new" + ")".repeat(LogicTree.MAX_DEPTH) + ")";
    assertTrue(bad("leads", "or", deep).contains("nested more than"));
  }

  @Test
  @DisplayName("embeds two levels deep, every level tenant-scoped by the caller's tenant parameter")
  void nestedEmbeds() {
    PageQuery q = plan("customers", "select", "id,leads(id,customer(id,name))");
    assertTrue(q.sql().startsWith("SELECT t.id, (SELECT coalesce(json_agg(t_0_j.j), '[]'::json) FROM (SELECT json_build_object("
        + "'id', t_0.id, 'customer', (SELECT json_build_object('id', t_0_0.id, 'name', t_0_0.name) FROM customers t_0_0"
        + " WHERE t_0_0.id = t_0.customer_id AND t_0_0.org_id = $1)) AS j FROM leads t_0 WHERE t_0.customer_id = t.id"
        + " AND t_0.org_id = $1 ORDER BY t_0.id LIMIT 20) t_0_j)::text, t.id FROM"), q.sql());
    assertEquals(List.of("leads", "customers"), q.embedded());
    assertTrue(bad("customers", "select", "id,leads(id,customer(id,leads(id)))").contains("2 levels deep"));
  }

  @Test
  @DisplayName("an embed's own filters, order, limit and offset are bound parameters of the same statement")
  void embedOptions() {
    PageQuery q = plan("customers", "select", "id,leads(id,customer(name))", "leads.status", "eq.new",
        "leads.or", "(priority.gte.4,title.like.A*)", "leads.order", "created_at.desc", "leads.limit", "5",
        "leads.offset", "2", "leads.customer.name", "like.B*");
    String sql = q.sql();
    assertTrue(sql.contains("FROM customers t_0_0 WHERE t_0_0.id = t_0.customer_id AND t_0_0.org_id = $1 AND t_0_0.name LIKE $"),
        sql);
    assertTrue(sql.contains("FROM leads t_0 WHERE t_0.customer_id = t.id AND t_0.org_id = $1 AND t_0.status = $3"
        + " AND (t_0.priority >= $4 OR t_0.title LIKE $5)"), sql);
    assertTrue(sql.contains(" ORDER BY t_0.created_at DESC, t_0.id DESC LIMIT $"), sql);
    assertTrue(sql.contains(" OFFSET $"), sql);
    List<Object> v = values(q);
    assertTrue(v.containsAll(List.of("new", 4, "A%", "B%", 5, 2)), v.toString());
    assertTrue(!sql.contains("'%"), "no value in the SQL text");
  }

  @Test
  @DisplayName("the to-many cap: the catalog's limit by default, reads.embedMaxRows at most, a 400 past it")
  void embedCap() {
    assertTrue(plan("customers", "select", "id,leads(id)").sql().contains(" LIMIT 20) t_0_j"));
    Resource big = new Resource("customers", "customers", "id", ColumnType.INT8, "org_id", CUSTOMERS.fields(),
        CUSTOMERS.defaultSelect(), CUSTOMERS.sortable(), Map.of("leads", new Resource.Relation("leads", "leads", Kind.MANY,
        "customer_id", 500)), List.of(), Map.of(), 0, 1000);
    Catalog capped = new Catalog(Map.of("customers", big, "leads", LEADS));
    assertTrue(PageSql.plan(capped, READS, new DataRequest("customers", 7, null, new JsonObject().put("select", "id,leads(id)"), null, true))
        .sql().contains(" LIMIT 50) t_0_j"));
    assertTrue(bad("customers", "select", "id,leads(id)", "leads.limit", "51").contains("at most 50"));
    assertTrue(bad("customers", "select", "id", "leads.status", "eq.new").contains("select embeds none"));
    assertTrue(bad("leads", "select", "id,customer(id)", "customer.limit", "2").contains("to-one"));
  }

  @Test
  @DisplayName("leads(count): the related rows' count as PostgREST shapes it, filtered like the rows would be")
  void relationCount() {
    PageQuery q = plan("customers", "select", "id,leads(count)", "leads.status", "eq.new");
    assertTrue(q.sql().startsWith("SELECT t.id, (SELECT json_build_array(json_build_object('count', count(*))) FROM leads t_0"
        + " WHERE t_0.customer_id = t.id AND t_0.org_id = $1 AND t_0.status = $3)::text, t.id FROM"), q.sql());
    bad("leads", "select", "id,customer(count)");
    bad("customers", "select", "id,leads(count)", "leads.limit", "3");
  }

  @Test
  @DisplayName("order=rank(text): ts_rank of the fts filter's query, computed inside, and in the keyset predicate")
  void rankedSearch() {
    PageQuery q = plan("documents", "select", "id", "text", "fts.postgres replication", "order", "rank(text).desc");
    String rank = "ts_rank(to_tsvector('english', t.text), plainto_tsquery('english', $2))";
    assertEquals("SELECT t.id, t.sluice_rank, t.id FROM (SELECT t.*, " + rank + " AS sluice_rank FROM documents t WHERE TRUE"
        + " AND to_tsvector('english', t.text) @@ plainto_tsquery('english', $1) ORDER BY " + rank + " DESC, t.id DESC"
        + " LIMIT $3) t ORDER BY t.sluice_rank DESC, t.id DESC", q.sql());
    assertEquals("rank(text).desc,id.desc", q.order().canonical());
    String after = Cursor.encode("documents", q.order(), q.filters(), List.of(0.5f, 10L));
    PageQuery next = plan("documents", "select", "id", "text", "fts.postgres replication", "order", "rank(text).desc",
        "after", after);
    assertTrue(next.sql().contains(" AND (" + rank + ", t.id) < ($3, $4)"), next.sql());
    assertEquals(List.of("postgres replication", "postgres replication", 0.5f, 10L), values(next).subList(0, 4));
    assertTrue(bad("documents", "order", "rank(text).desc").contains("add text=fts"));
    bad("documents", "text", "not.fts.x", "order", "rank(text)");
    bad("documents", "text", "fts.x", "order", "rank(section)");
  }

  @Test
  @DisplayName("the after cursor is bound to the logic filters: another or= is a 400, not a wrong page")
  void cursorBoundToLogic() {
    PageQuery q = plan("leads", "or", "(status.eq.new,priority.gte.4)");
    String after = Cursor.encode("leads", q.order(), q.filters(), List.of(10L));
    plan("leads", "or", "(status.eq.new,priority.gte.4)", "after", after);
    assertTrue(bad("leads", "or", "(status.eq.new,priority.gte.5)", "after", after).contains("another resource, order or filter"));
    bad("leads", "after", after);
  }
}
