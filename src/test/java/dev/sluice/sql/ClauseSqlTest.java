package dev.sluice.sql;

import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static dev.sluice.sql.QuerySqlTest.CATALOG;
import static dev.sluice.sql.QuerySqlTest.CUSTOMERS;
import static dev.sluice.sql.QuerySqlTest.DOCUMENTS;
import static dev.sluice.sql.QuerySqlTest.LEADS;
import static dev.sluice.sql.QuerySqlTest.bad;
import static dev.sluice.sql.QuerySqlTest.plan;
import static dev.sluice.sql.QuerySqlTest.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The clauses the statements are made of, each by its text: filters, orderings, cursors, select lists; and the point read. */
@DisplayName("SQL clauses of the read grammar (Filters, Ordering, Cursor, Selection) and the point read, without a database")
class ClauseSqlTest {
  private static String where(JsonObject query) {
    StringBuilder sql = new StringBuilder();
    SqlParams params = new SqlParams();
    Filters.parse(LEADS, query).render(sql, "t", params);
    return sql.toString();
  }

  @Test
  @DisplayName("Filters: each operator is one comparison on the alias' column with its value bound, not. negates it")
  void filterOperators() {
    assertEquals(" AND t.status = $1", where(new JsonObject().put("status", "eq.new")));
    assertEquals(" AND t.status <> $1", where(new JsonObject().put("status", "neq.new")));
    assertEquals(" AND t.priority > $1", where(new JsonObject().put("priority", "gt.1")));
    assertEquals(" AND t.priority >= $1", where(new JsonObject().put("priority", "gte.1")));
    assertEquals(" AND t.priority < $1", where(new JsonObject().put("priority", "lt.1")));
    assertEquals(" AND t.priority <= $1", where(new JsonObject().put("priority", "lte.1")));
    assertEquals(" AND t.id = ANY($1::int8[])", where(new JsonObject().put("id", "in.(1,2)")));
    assertEquals(" AND t.title LIKE $1", where(new JsonObject().put("title", "like.*roof*")));
    assertEquals(" AND t.title ILIKE $1", where(new JsonObject().put("title", "ilike.*roof*")));
    assertEquals(" AND t.customer_id IS NULL", where(new JsonObject().put("customer_id", "is.null")));
    assertEquals(" AND t.customer_id IS NOT NULL", where(new JsonObject().put("customer_id", "is.not_null")));
    assertEquals(" AND NOT t.status = $1", where(new JsonObject().put("status", "not.eq.new")));
    assertEquals(" AND t.priority >= $1 AND t.priority <= $2",
        where(new JsonObject().put("priority", new io.vertx.core.json.JsonArray().add("gte.1").add("lte.3"))));
    StringBuilder fts = new StringBuilder();
    Filters.parse(DOCUMENTS, new JsonObject().put("text", "fts.a b")).render(fts, "d", new SqlParams());
    assertEquals(" AND to_tsvector('english', d.text) @@ plainto_tsquery('english', $1)", fts.toString());
  }

  @Test
  @DisplayName("Filters: values are typed against the column and never reach the SQL text; bad ones are 400s")
  void filterValues() {
    SqlParams params = new SqlParams();
    StringBuilder sql = new StringBuilder();
    Filters.parse(LEADS, new JsonObject().put("title", "eq.x'; DROP TABLE leads; --").put("id", "in.(3,\"4\")"))
        .render(sql, "t", params);
    assertTrue(!sql.toString().contains("DROP"), sql.toString());
    List<Object> v = new java.util.ArrayList<>();
    for (int i = 0; i < params.size(); i++) v.add(params.tuple().getValue(i));
    assertTrue(v.contains("x'; DROP TABLE leads; --"), v.toString());
    assertTrue(v.stream().anyMatch(o -> o instanceof Long[] a && a.length == 2 && a[0] == 3L && a[1] == 4L), v.toString());
    for (JsonObject q : List.of(new JsonObject().put("priority", "eq.high"), new JsonObject().put("secret", "eq.1"),
        new JsonObject().put("status", "nope.x"), new JsonObject().put("priority", "like.1"),
        new JsonObject().put("title", "like.a\\"), new JsonObject().put("title", "fts.x"))) {
      assertEquals(400, assertThrows(ApiError.class, () -> Filters.parse(LEADS, q), q.encode()).status());
    }
  }

  @Test
  @DisplayName("Filters from a query string (search bodies, batch operations): percent-decoded, repeated keys kept")
  void filterQueryString() {
    StringBuilder sql = new StringBuilder();
    Filters.parseQueryString(LEADS, "status=in.(a%2Cb,c)&priority=gte.2&priority=lt.5").render(sql, "t", new SqlParams());
    assertEquals(" AND t.status = ANY($1::text[]) AND t.priority >= $2 AND t.priority < $3", sql.toString());
    assertEquals(400, assertThrows(ApiError.class, () -> Filters.parseQueryString(LEADS, "status=eq.%zz")).status());
  }

  @Test
  @DisplayName("Ordering: declared keys then the primary key as tiebreaker, in the last key's direction")
  void ordering() {
    assertEquals(" ORDER BY t.created_at DESC, t.id DESC", Ordering.parse(LEADS, "created_at.desc").orderBy("t"));
    assertEquals(" ORDER BY t.priority ASC, t.created_at DESC, t.id DESC",
        Ordering.parse(LEADS, "priority,created_at.desc").orderBy("t"));
    assertEquals(" ORDER BY t.id ASC", Ordering.parse(LEADS, null).orderBy("t"));
    assertEquals(" ORDER BY t.id DESC", Ordering.parse(LEADS, "id.desc,created_at").orderBy("t"), "nothing after the primary key");
    assertEquals("priority.asc,created_at.desc,id.desc", Ordering.parse(LEADS, "priority,created_at.desc").canonical());
    for (String bad : List.of("title", "created_at.sideways", ".desc", "priority,priority")) {
      assertEquals(400, assertThrows(ApiError.class, () -> Ordering.parse(LEADS, bad), bad).status());
    }
  }

  @Test
  @DisplayName("Ordering: the keyset predicate is one row comparison when all keys run one way, the OR form otherwise")
  void keysetPredicate() {
    StringBuilder uniform = new StringBuilder();
    SqlParams p = new SqlParams();
    Ordering.parse(LEADS, "created_at.desc").renderAfter(uniform, "t", List.of("2026-01-01", 5L), p, null);
    assertEquals(" AND (t.created_at, t.id) < ($1, $2)", uniform.toString());
    StringBuilder mixed = new StringBuilder();
    Ordering.parse(LEADS, "priority,created_at.desc").renderAfter(mixed, "t", List.of(1, "2026-01-01", 5L), new SqlParams(), null);
    assertEquals(" AND ((t.priority > $1) OR (t.priority = $1 AND t.created_at < $2)"
        + " OR (t.priority = $1 AND t.created_at = $2 AND t.id < $3))", mixed.toString());
    StringBuilder bound = new StringBuilder();
    Ordering.parse(LEADS, "created_at.desc").renderLeadingBound(bound, "t", "created_at", List.of("2026-01-01", 5L), new SqlParams());
    assertEquals(" AND t.created_at <= $1", bound.toString(), "the partition key's own bound, for pruning");
    StringBuilder none = new StringBuilder();
    Ordering.parse(LEADS, "priority").renderLeadingBound(none, "t", "created_at", List.of(1, 5L), new SqlParams());
    assertEquals("", none.toString());
  }

  @Test
  @DisplayName("Cursor: round-trips the sort values through their column types; forged or foreign cursors are 400s")
  void cursor() {
    Ordering order = Ordering.parse(LEADS, "priority.desc");
    Filters filters = Filters.parse(LEADS, new JsonObject().put("status", "eq.new"));
    String c = Cursor.encode("leads", order, filters, List.of(3, 42L));
    assertEquals(List.of(3, 42L), Cursor.decode(c, "leads", order, filters));
    assertThrows(ApiError.class, () -> Cursor.decode(c, "customers", order, filters));
    assertThrows(ApiError.class, () -> Cursor.decode(c, "leads", Ordering.parse(LEADS, "priority"), filters));
    assertThrows(ApiError.class, () -> Cursor.decode(c, "leads", order, Filters.parse(LEADS, new JsonObject())));
    String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(new JsonObject().put("r", "leads")
        .put("o", order.canonical()).put("f", Integer.toHexString(filters.canonical().hashCode()))
        .put("v", new io.vertx.core.json.JsonArray().add("high").add("42")).encode().getBytes(StandardCharsets.UTF_8));
    assertEquals(400, assertThrows(ApiError.class, () -> Cursor.decode(forged, "leads", order, filters)).status());
    assertThrows(ApiError.class, () -> Cursor.decode("not base64 ~", "leads", order, filters));
  }

  @Test
  @DisplayName("Selection: catalog names only; the select list is plain columns then one JSON subquery per embed")
  void selection() {
    Selection sel = Selection.parse(CATALOG, LEADS, "id,title,customer(id,name)");
    assertEquals(List.of("id", "title"), sel.fields());
    assertEquals("t.id, t.title, (SELECT json_build_object('id', t_0.id, 'name', t_0.name) FROM customers t_0"
        + " WHERE t_0.id = t.customer_id AND t_0.org_id = $2)::text", SelectList.columns(sel, "t", "$2"));
    assertEquals(3, SelectList.width(sel));
    assertEquals("json_build_object('id', t.id, 'title', t.title, 'customer', (SELECT json_build_object('id', t_0.id,"
        + " 'name', t_0.name) FROM customers t_0 WHERE t_0.id = t.customer_id AND t_0.org_id = $2))",
        JsonProjection.render(sel, "t", "$2"));
    assertEquals(LEADS.defaultSelect(), Selection.parse(CATALOG, LEADS, null).fields());
    assertEquals(List.of("customers"), sel.embeddedResources());
    for (String bad : List.of("id,secret", "id,nope(id)", "id,customer(id", "id,,title", "id)")) {
      assertEquals(400, assertThrows(ApiError.class, () -> Selection.parse(CATALOG, LEADS, bad), bad).status());
    }
  }

  @Test
  @DisplayName("point reads: every id of one turn in one ANY($1) statement, tenant-scoped by $2, the key first")
  void pointRead() {
    assertEquals("SELECT t.id, t.id, t.name FROM customers t WHERE t.id = ANY($1::int8[]) AND t.org_id = $2",
        PointSql.select(Selection.parse(CATALOG, CUSTOMERS, "id,name")));
    assertEquals("SELECT t.id, t.text FROM documents t WHERE t.id = ANY($1::int8[])",
        PointSql.select(Selection.parse(CATALOG, DOCUMENTS, "text")), "a shared resource has no tenant parameter");
  }

  @Test
  @DisplayName("offset pages: LIMIT and OFFSET bound; count=exact and estimated are their own statements over the same WHERE")
  void offsetPagesAndCounts() {
    PageQuery q = plan("leads", "select", "id", "status", "eq.new", "page", "3", "limit", "10", "count", "exact");
    assertEquals("SELECT t.id, t.id FROM (SELECT t.* FROM leads t WHERE TRUE AND t.org_id = $1 AND t.status = $2"
        + " ORDER BY t.id ASC LIMIT $3 OFFSET $4) t ORDER BY t.id ASC", q.sql());
    assertEquals(List.of(7L, "new", 10, 20L), values(q));
    assertEquals("SELECT count(*) FROM leads t WHERE TRUE AND t.org_id = $1 AND t.status = $2", q.countSql());
    assertEquals(2, q.countParams().size());
    PageQuery est = plan("leads", "select", "id", "page", "1", "count", "estimated");
    assertEquals("EXPLAIN (FORMAT JSON) SELECT 1 FROM leads t WHERE TRUE AND t.org_id = $1", est.countSql());
    assertTrue(bad("leads", "page", "1", "after", "x").contains("either page or after"));
    assertTrue(bad("leads", "count", "exact").contains("offset pages"));
    assertTrue(bad("leads", "page", "100000", "limit", "1000").contains("Offset pages end at row"));
    assertTrue(bad("leads", "limit", "0").contains("at least 1"));
    assertArrayEquals(new Object[] {7L, 21}, values(plan("leads", "select", "id")).toArray(), "a keyset page asks one row more");
  }

  @Test
  @DisplayName("/admin/explain: EXPLAIN of the page's own statement, ANALYZE only when asked")
  void explain() {
    PageQuery q = plan("leads", "select", "id");
    assertEquals("EXPLAIN (FORMAT JSON) " + q.sql(), PageSql.explain(q, false));
    assertEquals("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + q.sql(), PageSql.explain(q, true));
  }
}
