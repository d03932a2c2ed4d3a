package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.error.ApiError;
import dev.sluice.sql.MutationSql;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.sluice.support.WriteTargets.LEADS;
import static dev.sluice.support.WriteTargets.mask;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Write input: row validation and JSON parsing, without a database")
class WriteInputTest {
  @Test
  @DisplayName("patch with {\"inc\": n}: an increment typed as the column; anything else is the row's 400")
  void increments() {
    Map<WriteTarget.Column, Object> set = new RowReader(LEADS, 7).readPatch(new JsonObject()
        .put("priority", new JsonObject().put("inc", 2)).put("title", "x"));
    assertEquals(new MutationSql.Increment(2), set.get(LEADS.byName.get("priority")));
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
  @DisplayName("rows: the tenant comes from the key, defaults stay defaults, types are strict, lengths and vectors are checked")
  void rows() {
    RowReader reader = new RowReader(LEADS, 7);
    InputRow ok = reader.read(0, 0, new JsonObject().put("title", "short").put("meta", new JsonObject().put("a", 1))
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
