package dev.sluice.input;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;

/**
 * The one JSON reader for request bodies: RFC 8259 and nothing more. Vert.x's own codec allows
 * comments (and so would store a body a strict client rejects); here comments are errors, an
 * object naming a field twice is refused (rather than silently keeping the last value), and a
 * string holding half of a UTF-16 surrogate pair, which PostgreSQL would store as '?', is refused
 * by {@link #text}. Jackson does the parsing; this class only fixes its settings in one place.
 */
public final class StrictJson {
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
      .build();

  private StrictJson() {}

  public static JsonParser parser(Buffer body) throws IOException {
    return FACTORY.createParser(body.getBytes());
  }

  public static JsonParser parser(byte[] body) throws IOException {
    return FACTORY.createParser(body);
  }

  /** The current string token's text, or a parse error when it holds a lone surrogate. */
  public static String text(JsonParser p) throws IOException {
    String s = p.getText();
    if (TextValues.hasLoneSurrogate(s)) {
      throw new com.fasterxml.jackson.core.JsonParseException(p, "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)");
    }
    return s;
  }

  /** A short reason for a parse error worth naming to the client (a duplicate field, a lone surrogate), or null. */
  public static String reason(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m == null) return null;
    if (m.startsWith("Duplicate field")) {
      return "a field appears twice in one object";
    }
    if (m.contains("lone UTF-16 surrogate")) return "a string holds a lone UTF-16 surrogate";
    if (m.contains("comment")) return "JSON has no comments";
    return null;
  }
}
