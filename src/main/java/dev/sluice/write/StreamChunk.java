package dev.sluice.write;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One message of an NDJSON upload from the HTTP verticle to the write session holding its
 * transaction: raw lines (not yet parsed) starting at line {@code firstLine}; {@code last} asks
 * for the commit and the response, {@code abort} for a rollback (the client went away). Passed
 * by reference in-process (see bus.RecordCodec); its JSON form is
 * {@code {"firstLine", "lines": [..], "last", "abort"}}.
 */
public record StreamChunk(long firstLine, List<Buffer> lines, boolean last, boolean abort) {
  static StreamChunk abortion() {
    return new StreamChunk(0, List.of(), false, true);
  }

  public JsonObject toJson() {
    JsonArray a = new JsonArray();
    for (Buffer b : lines) a.add(b.toString());
    return new JsonObject().put("firstLine", firstLine).put("lines", a).put("last", last).put("abort", abort);
  }

  public static StreamChunk fromJson(JsonObject j) {
    List<Buffer> lines = new ArrayList<>();
    for (Object o : j.getJsonArray("lines", new JsonArray())) lines.add(Buffer.buffer(String.valueOf(o)));
    return new StreamChunk(j.getLong("firstLine", 1L), lines, j.getBoolean("last", false), j.getBoolean("abort", false));
  }
}
