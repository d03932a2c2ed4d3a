package dev.sluice.data;

import dev.sluice.sql.Selection;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.OffsetDateTime;

/**
 * Rows of point reads and pages as JSON, encoded in Java from plain columns, with embedded
 * relations still built by PostgreSQL (one correlated subquery each) and spliced in as raw JSON.
 * Chosen by measurement against building every row with json_build_object in PostgreSQL and
 * passing the text through: 1.39 × the throughput for 20-row pages and 1.65 × for 100-row pages,
 * 25–40 % less CPU per request (mostly PostgreSQL's), about even for point reads — the JSON
 * costs PostgreSQL more than the plain columns cost the gateway to encode with Jackson's streaming
 * generator. Output matches PostgreSQL's JSON except for whitespace (compact here).
 */
final class JsonRows {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonRows() {}

  /** Writes one row, read from column {@code first} on, as a JSON object. */
  static void write(JsonGenerator g, Selection sel, Row row, int first) throws IOException {
    g.writeStartObject();
    int i = first;
    for (String f : sel.fields()) {
      g.writeFieldName(f);
      value(g, row.getValue(i++));
    }
    for (Selection.Embed e : sel.embeds()) {
      g.writeFieldName(e.relation().name());
      String json = row.getString(i++);
      if (json == null) g.writeNull();
      else g.writeRawValue(json);
    }
    g.writeEndObject();
  }

  static Buffer encode(Selection sel, Row row, int first) {
    Buffer out = Buffer.buffer(256);
    try (JsonGenerator g = generator(out)) {
      write(g, sel, row, first);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** A generator appending to a Vert.x buffer. */
  static JsonGenerator generator(Buffer out) throws IOException {
    return FACTORY.createGenerator(new OutputStream() {
      @Override
      public void write(int b) {
        out.appendByte((byte) b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        out.appendBytes(b, off, len);
      }
    });
  }

  private static void value(JsonGenerator g, Object v) throws IOException {
    if (v == null) g.writeNull();
    else if (v instanceof String s) g.writeString(s);
    else if (v instanceof Long l) g.writeNumber(l);
    else if (v instanceof Integer n) g.writeNumber(n);
    else if (v instanceof Short n) g.writeNumber(n);
    else if (v instanceof Boolean b) g.writeBoolean(b);
    else if (v instanceof BigDecimal d) g.writeNumber(d);
    else if (v instanceof Double d) g.writeNumber(d);
    else if (v instanceof Float d) g.writeNumber(d);
    else if (v instanceof OffsetDateTime t) g.writeString(TimestampText.of(t));
    else if (v instanceof JsonObject || v instanceof JsonArray) g.writeRawValue(v.toString());
    else g.writeString(v.toString()); // dates, local timestamps, UUIDs, vectors: their text form, as PostgreSQL's JSON has it
  }
}
