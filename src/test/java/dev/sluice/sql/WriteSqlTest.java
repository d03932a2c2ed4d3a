package dev.sluice.write;

import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.data.Filters;
import dev.sluice.error.ApiError;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Write SQL shapes and row validation, without a database")
class WriteSqlTest {
  static final WriteTarget LEADS = leads();

  static WriteTarget leads() {
    Map<String, ColumnType> fields = new LinkedHashMap<>();
    fields.put("id", ColumnType.INT8);
    fields.put("org_id", ColumnType.INT8);
    fields.put("title", ColumnType.TEXT);
    fields.put("status", ColumnType.TEXT);
    fields.put("priority", ColumnType.INT4);
    fields.put("meta", ColumnType.JSONB);
    fields.put("embedding", ColumnType.VECTOR);
    Resource r = new Resource("leads", "leads", "id", ColumnType.INT8, "org_id", fields, List.of(), List.of("id"), Map.of(),
        List.of(), Map.of("embedding", new ResourceSpec.VectorSpec("embedding", 3, ResourceSpec.Metric.COSINE)), 30, 1000);
    Map<String, WriteSchema.Facts> facts = new LinkedHashMap<>();
    facts.put("id", new WriteSchema.Facts("int8", false, false, true, false, false, 0));
    facts.put("org_id", new WriteSchema.Facts("int8", false, false, false, false, false, 0));
    facts.put("title", new WriteSchema.Facts("varchar", false, false, false, false, false, 10));
    facts.put("status", new WriteSchema.Facts("text", false, true, false, false, false, 0));
    facts.put("priority", new WriteSchema.Facts("int4", false, true, false, false, false, 0));
    facts.put("meta", new WriteSchema.Facts("jsonb", true, false, false, false, false, 0));
    facts.put("embedding", new WriteSchema.Facts("vector", true, false, false, false, false, 0));
    return WriteSchema.build(r, facts, Map.of("leads_priority_check", List.of("priority")),
        Map.of("leads_pkey", List.of("id"), "leads_title_key", List.of("org_id", "title")));
  }

  static long mask(String... names) {
    long m = 0;
    for (String n : names) m |= LEADS.byName.get(n).bit();
    return m;
  }

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
        WriteRequest.NOT_FILTERS);
    Map<WriteTarget.Column, Object> set = new LinkedHashMap<>();
    set.put(LEADS.byName.get("title"), "x");
    set.put(LEADS.byName.get("meta"), "{}");
    Mutations.Plan p = Mutations.patch(LEADS, 7, f, set, 1000, null);
    assertEquals("WITH w AS (UPDATE leads AS t SET title = $1::text, meta = $2::text::jsonb WHERE TRUE AND t.org_id = $3 "
        + "AND t.status = $4 RETURNING t.id) SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $5)", p.sql());
    assertEquals(5, p.params().size());
    Mutations.Plan d = Mutations.delete(LEADS, 7, f, 10, null);
    assertEquals("WITH w AS (DELETE FROM leads AS t WHERE TRUE AND t.org_id = $1 AND t.status = $2 RETURNING t.id) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $3)", d.sql());
    ApiError none = assertThrows(ApiError.class, () -> Mutations.delete(LEADS, 7,
        Filters.parse(LEADS.resource, new JsonObject(), WriteRequest.NOT_FILTERS), 10, null));
    assertEquals(400, none.status());
  }

  @Test
  @DisplayName("patch with {\"inc\": n}: the column plus the bound step in the UPDATE itself, the step typed as the column")
  void increments() {
    Map<WriteTarget.Column, Object> set = new RowReader(LEADS, 7).readPatch(new JsonObject()
        .put("priority", new JsonObject().put("inc", 2)).put("title", "x"));
    assertEquals(new Values.Increment(2), set.get(LEADS.byName.get("priority")));
    Filters f = Filters.parse(LEADS.resource, new JsonObject().put("or", "(status.eq.new,priority.lt.3)"), WriteRequest.NOT_FILTERS);
    Mutations.Plan p = Mutations.patch(LEADS, 7, f, set, 1000, null);
    assertEquals("WITH w AS (UPDATE leads AS t SET priority = t.priority + $1::int4, title = $2::text WHERE TRUE "
        + "AND t.org_id = $3 AND (t.status = $4 OR t.priority < $5) RETURNING t.id) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $6)", p.sql());
    for (Object bad : List.of(new JsonObject().put("inc", 1.5), new JsonObject().put("inc", "1"),
        new JsonObject().put("inc", 1).put("dec", 1), new JsonObject().put("add", 1), new JsonObject().putNull("inc"))) {
      ApiError e = assertThrows(ApiError.class, () -> new RowReader(LEADS, 7).readPatch(new JsonObject().put("priority", bad)),
          bad.toString());
      assertEquals(400, e.status());
      assertEquals("priority", e.details().getJsonArray("rows").getJsonObject(0).getString("field"));
    }
    // a text column has no increments; an object for a jsonb column stays a value
    assertThrows(ApiError.class, () -> new RowReader(LEADS, 7).readPatch(new JsonObject()
        .put("title", new JsonObject().put("inc", 1))));
    assertEquals("{\"inc\":1}", new RowReader(LEADS, 7).readPatch(new JsonObject()
        .put("meta", new JsonObject().put("inc", 1))).get(LEADS.byName.get("meta")));
  }

  @Test
  @DisplayName("return=representation: RETURNING t.* and the rows' JSON, tenant-scoped, in the same statement; bulk reads them back by key")
  void representation() {
    Filters f = Filters.parse(LEADS.resource, new JsonObject().put("id", "eq.1"), WriteRequest.NOT_FILTERS);
    dev.sluice.data.Selection sel = dev.sluice.data.Selection.parse(new dev.sluice.catalog.Catalog(Map.of("leads", LEADS.resource)),
        LEADS.resource, "id,title");
    Mutations.Plan d = Mutations.delete(LEADS, 7, f, 10, sel);
    assertEquals("WITH w AS (DELETE FROM leads AS t WHERE TRUE AND t.org_id = $1 AND t.id = $2 RETURNING t.*) "
        + "SELECT (SELECT count(*) FROM w), ARRAY(SELECT id FROM w LIMIT $3), "
        + "(SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title)), '[]'::json) FROM w t)", d.sql());
    assertEquals("SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title) ORDER BY w.n), '[]'::json) "
        + "FROM unnest($1::int8[]) WITH ORDINALITY AS w(id, n) JOIN leads t ON t.id = w.id WHERE t.org_id = $2",
        Written.sql(LEADS, sel));
  }

  @Test
  @DisplayName("rows: the tenant comes from the key, defaults stay defaults, types are strict, lengths and vectors are checked")
  void rows() {
    RowReader reader = new RowReader(LEADS, 7);
    Row ok = reader.read(0, 0, new JsonObject().put("title", "short").put("meta", new JsonObject().put("a", 1))
        .put("embedding", new JsonArray().add(1).add(0.5).add(-2)));
    assertNotNull(ok);
    assertEquals(7L, ok.values()[1]);
    assertEquals(mask("org_id", "title", "meta", "embedding"), ok.mask());
    assertEquals("{\"a\":1}", ok.values()[5]);
    assertEquals("[1.0,0.5,-2.0]", ok.values()[6]);
    assertTrue(!reader.failed());

    assertNull(reader.read(1, 0, new JsonObject().put("title", "far too long a title")));
    assertNull(reader.read(2, 0, new JsonObject().put("title", "t").put("priority", 1.5)));
    assertNull(reader.read(3, 0, new JsonObject().put("title", "t").put("embedding", new JsonArray().add(1))));
    assertNull(reader.read(4, 0, new JsonObject().put("status", "new")));
    ApiError e = reader.failure();
    assertEquals(400, e.status());
    JsonArray rows = e.details().getJsonArray("rows");
    assertEquals("is longer than 10 characters", rows.getJsonObject(0).getString("reason"));
    assertEquals("expected a whole number", rows.getJsonObject(1).getString("reason"));
    assertEquals("must have 3 dimensions, not 1", rows.getJsonObject(2).getString("reason"));
    assertEquals(new JsonObject().put("index", 4).put("field", "title").put("reason", "is required"), rows.getJsonObject(3));

    RowReader other = new RowReader(LEADS, 7);
    assertNull(other.read(0, 3, new JsonObject().put("title", "t").put("org_id", 8)));
    assertEquals(403, other.failure().status());
    assertEquals(3L, other.failure().details().getJsonArray("rows").getJsonObject(0).getLong("line"));
  }

  @Test
  @DisplayName("malformed JSON names its line and column; an NDJSON line names its line")
  void malformed() {
    ApiError e = assertThrows(ApiError.class, () -> JsonInput.parseArray(Buffer.buffer("[\n{\"a\":1},\n{\"a\" 2}]"), 10,
        (v, i) -> { }));
    assertEquals(3, e.details().getInteger("line"));
    ApiError line = assertThrows(ApiError.class, () -> JsonInput.parseLine(Buffer.buffer("{\"a\":"), 42));
    assertEquals(42L, line.details().getLong("line"));
    ApiError many = assertThrows(ApiError.class, () -> JsonInput.parseArray(Buffer.buffer("[{},{},{}]"), 2, (v, i) -> { }));
    assertEquals(413, many.status());
    List<Object> seen = new ArrayList<>();
    JsonInput.parseArray(Buffer.buffer("[{\"n\": 0.12345678901234567890}]"), 10, (v, i) -> seen.add(v));
    assertEquals("0.12345678901234567890", ((JsonObject) seen.get(0)).getValue("n").toString(), "long decimals keep their digits");
  }
}
