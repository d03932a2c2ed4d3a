package dev.sluice.sql;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.WriteTarget;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.sluice.support.WriteTargets.LEADS;
import static dev.sluice.support.WriteTargets.mask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Write SQL shapes, without a database")
class WriteSqlTest {
  /** PATCH and DELETE take these query parameters besides the filters (write.NOT_FILTERS). */
  private static final Set<String> NOT_FILTERS = Set.of("idempotencyKey", "return", "select");

  @Test
  @DisplayName("a chunk is one INSERT ... SELECT FROM unnest with one typed array per column, casts for text-bound types")
  void insertShape() {
    InsertSql.Statement s = InsertSql.build(LEADS, mask("org_id", "title", "meta", "embedding"), ConflictMode.ERROR,
        List.of(LEADS.primaryKey), true);
    assertEquals("INSERT INTO leads AS t (org_id, title, meta, embedding) SELECT u.c1, u.c2, u.c3::jsonb, u.c4::vector "
        + "FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[]) AS u(c1, c2, c3, c4) RETURNING t.id", s.sql());
    assertArrayEquals(new int[] {1, 2, 5, 6}, s.columns());
  }

  @Test
  @DisplayName("skip is ON CONFLICT DO NOTHING; without ids there is no RETURNING")
  void skipShape() {
    assertEquals("INSERT INTO leads AS t (id, org_id, title) SELECT u.c1, u.c2, u.c3 FROM unnest($1::int8[], $2::int8[], "
            + "$3::text[]) AS u(c1, c2, c3) ON CONFLICT DO NOTHING",
        InsertSql.build(LEADS, mask("id", "org_id", "title"), ConflictMode.SKIP, List.of(LEADS.primaryKey), false).sql());
  }

  @Test
  @DisplayName("update upserts on the key, never moves the tenant, never touches another tenant's row, and tells inserts from updates")
  void updateShape() {
    assertEquals("INSERT INTO leads AS t (id, org_id, title, priority) SELECT u.c1, u.c2, u.c3, u.c4 FROM unnest($1::int8[], "
            + "$2::int8[], $3::text[], $4::int4[]) AS u(c1, c2, c3, c4) ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, "
            + "priority = EXCLUDED.priority WHERE t.org_id = EXCLUDED.org_id RETURNING t.id, (t.xmax = 0)",
        InsertSql.build(LEADS, mask("id", "org_id", "title", "priority"), ConflictMode.UPDATE, List.of(LEADS.primaryKey),
            false).sql());
    InsertSql.Statement byTitle = InsertSql.build(LEADS, mask("org_id", "title"), ConflictMode.UPDATE,
        LEADS.conflictKey("title,org_id"), false);
    assertTrue(byTitle.sql().contains("ON CONFLICT (org_id, title) DO UPDATE SET org_id = EXCLUDED.org_id WHERE"), byTitle.sql());
    assertTrue(byTitle.sql().endsWith("RETURNING t.id, (t.xmax = 0), t.org_id, t.title"), byTitle.sql());
    assertEquals(2, byTitle.keyOffset());
    assertThrows(ApiError.class, () -> LEADS.conflictKey("status"));
  }

  @Test
  @DisplayName("patch and delete: tenant first, then the read filters, all bound; count and capped ids in the same statement")
  void mutations() {
    Filters f = Filters.parse(LEADS.resource, new JsonObject().put("status", "eq.new").put("idempotencyKey", "k"),
        NOT_FILTERS);
    Map<WriteTarget.Column, Object> set = new LinkedHashMap<>();
    set.put(LEADS.byName.get("title"), "x");
    set.put(LEADS.byName.get("meta"), "{}");
    MutationSql.Plan p = MutationSql.patch(LEADS, 7, f, set, 1000, null);
    assertEquals("WITH w AS (UPDATE leads AS t SET title = $1::text, meta = $2::text::jsonb WHERE TRUE AND t.org_id = $3 "
        + "AND t.status = $4 RETURNING t.id) SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $5)", p.sql());
    assertEquals(5, p.params().size());
    MutationSql.Plan d = MutationSql.delete(LEADS, 7, f, 10, null);
    assertEquals("WITH w AS (DELETE FROM leads AS t WHERE TRUE AND t.org_id = $1 AND t.status = $2 RETURNING t.id) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $3)", d.sql());
    ApiError none = assertThrows(ApiError.class, () -> MutationSql.delete(LEADS, 7,
        Filters.parse(LEADS.resource, new JsonObject(), NOT_FILTERS), 10, null));
    assertEquals(400, none.status());
  }

  @Test
  @DisplayName("patch with {\"inc\": n}: the column plus the bound step in the UPDATE itself, the step typed as the column")
  void increments() {
    Map<WriteTarget.Column, Object> set = new LinkedHashMap<>();
    set.put(LEADS.byName.get("priority"), new MutationSql.Increment(2));
    set.put(LEADS.byName.get("title"), "x");
    Filters f = Filters.parse(LEADS.resource, new JsonObject().put("or", "(status.eq.new,priority.lt.3)"), Set.of());
    MutationSql.Plan p = MutationSql.patch(LEADS, 7, f, set, 1000, null);
    assertEquals("WITH w AS (UPDATE leads AS t SET priority = t.priority + $1::int4, title = $2::text WHERE TRUE "
        + "AND t.org_id = $3 AND (t.status = $4 OR t.priority < $5) RETURNING t.id) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $6)", p.sql());
  }

  @Test
  @DisplayName("return=representation: RETURNING t.* and the rows' JSON, tenant-scoped, in the same statement; bulk reads them back by key")
  void representation() {
    Filters f = Filters.parse(LEADS.resource, new JsonObject().put("id", "eq.1"), NOT_FILTERS);
    Selection sel = Selection.parse(new Catalog(Map.of("leads", LEADS.resource)),
        LEADS.resource, "id,title");
    MutationSql.Plan d = MutationSql.delete(LEADS, 7, f, 10, sel);
    assertEquals("WITH w AS (DELETE FROM leads AS t WHERE TRUE AND t.org_id = $1 AND t.id = $2 RETURNING t.*) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $3), "
        + "(SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title)), '[]'::json) FROM w t)", d.sql());
    assertEquals("SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title) ORDER BY w.n), '[]'::json) "
        + "FROM unnest($1::int8[]) WITH ORDINALITY AS w(id, n) JOIN leads t ON t.id = w.id WHERE t.org_id = $2",
        WrittenSql.select(LEADS, sel));
  }
}
