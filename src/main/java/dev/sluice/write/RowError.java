package dev.sluice.write;

import io.vertx.core.json.JsonObject;

/** Why one row was refused: {@code {"index", "line"?, "field"?, "reason"}} in an error's details.rows. */
record RowError(long index, long line, String field, String reason) {
  JsonObject toJson() {
    JsonObject o = new JsonObject().put("index", index);
    if (line > 0) o.put("line", line);
    if (field != null) o.put("field", field);
    return o.put("reason", reason);
  }
}
