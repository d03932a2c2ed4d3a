package dev.sluice.vector;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.sluice.error.ApiError;
import dev.sluice.input.StrictJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.Arrays;

/**
 * Reads a search body. The vector, nearly all of the body, goes straight from the bytes into a
 * float[] ({@link VectorBytes}) and Jackson parses the rest with the array cut out; a body that is
 * not that plain case is parsed by Jackson alone, its vector too (Jackson's fast float parser into a
 * float[], no JsonArray of boxed Doubles). The other fields are small scalars, kept as a JsonObject
 * for {@link SearchRequest} to validate (a structure where a scalar belongs becomes an empty one,
 * which validation refuses by name).
 */
final class SearchBody {
  /**
   * @param vector the vector's numbers, or null when the body has no vector field
   * @param vectorProblem why the vector field is unusable (not an array, an element not a finite
   *     number), or null; reported by {@link SearchRequest} after the field checks
   * @param fields every other field
   */
  record Parsed(float[] vector, ApiError vectorProblem, JsonObject fields) {}

  private SearchBody() {}

  static Parsed parse(Buffer body) {
    byte[] bytes = body.getBytes();
    VectorBytes.Found found = VectorBytes.find(bytes);
    if (found != null) {
      Parsed fast = withVector(bytes, found);
      if (fast != null) return fast;
    }
    return parse(bytes, null);
  }

  /** Jackson alone, as before {@link VectorBytes}: the reference the tests hold the fast path to. */
  static Parsed parseWithJackson(Buffer body) {
    return parse(body.getBytes(), null);
  }

  /**
   * The common case: the vector read from the bytes by {@link VectorBytes}, the rest of the body by Jackson
   * with the array cut out (a 0 in its place), so Jackson never tokenizes the 384 numbers. Null whenever
   * that rest is not a clean parse (a duplicate field, a bad value, trailing data): the whole body is then
   * parsed again by Jackson alone, whose answer or error is the one the client gets.
   */
  private static Parsed withVector(byte[] bytes, VectorBytes.Found found) {
    byte[] rest = new byte[bytes.length - (found.end() - found.start()) + 1];
    System.arraycopy(bytes, 0, rest, 0, found.start());
    rest[found.start()] = '0';
    System.arraycopy(bytes, found.end(), rest, found.start() + 1, bytes.length - found.end());
    try {
      Parsed p = parse(rest, found.values());
      return p.vector() == found.values() ? p : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** With {@code given} non-null, the body's "vector" field is a placeholder and {@code given} its numbers. */
  private static Parsed parse(byte[] body, float[] given) {
    try (JsonParser p = StrictJson.parser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw notAnObject();
      JsonObject fields = new JsonObject();
      float[] vector = null;
      ApiError problem = null;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals("vector")) {
          if (given != null) {
            if (v != JsonToken.VALUE_NUMBER_INT) throw notJson(); // not the placeholder: Jackson alone decides
            vector = given;
          } else if (v == JsonToken.START_ARRAY) {
            VectorRead read = readVector(p);
            vector = read.values;
            problem = read.problem;
          } else {
            if (v == JsonToken.START_OBJECT) p.skipChildren();
            vector = null;
            problem = v == JsonToken.VALUE_NULL ? null : SearchRequest.notAnArray();
          }
          continue;
        }
        // weights is the one object-valued field: {"vector": w, "text": w} (hybrid search)
        fields.put(name, name.equals("weights") && v == JsonToken.START_OBJECT ? flatObject(p) : scalar(p, v));
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) throw notJson();
      return new Parsed(vector, problem, fields);
    } catch (ApiError e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      if (given != null) throw new IllegalStateException("not the plain case", e);
      // JSON has no NaN or Infinity: a body holding them does not parse, and that is the problem to name
      String text = body.length > 1 << 20 ? "" : new String(body, java.nio.charset.StandardCharsets.UTF_8);
      if (text.contains("NaN") || text.contains("Infinity")) throw SearchRequest.nonFiniteInBody();
      String reason = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? StrictJson.reason(j) : null;
      if (reason != null) throw ApiError.badRequest("The body is not valid JSON: " + reason + ".");
      throw notJson();
    }
  }

  private record VectorRead(float[] values, ApiError problem) {}

  /** The array's numbers; the first element that is not a finite number is the problem (the rest is skipped). */
  private static VectorRead readVector(JsonParser p) throws IOException {
    float[] out = new float[512];
    int n = 0;
    ApiError problem = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t == null) throw notJson();
      if (problem == null) {
        float f;
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
          f = p.getFloatValue();
          if (!Float.isFinite(f)) problem = SearchRequest.notFinite(n);
        } else if (t == JsonToken.VALUE_STRING && SearchRequest.isNonFiniteWord(p.getText())) {
          problem = SearchRequest.notFinite(n);
          f = 0;
        } else {
          problem = SearchRequest.notANumber(n);
          f = 0;
        }
        if (n == out.length) out = Arrays.copyOf(out, n * 2);
        out[n] = f;
      }
      if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) p.skipChildren();
      n++;
    }
    if (problem != null) return new VectorRead(null, problem);
    return new VectorRead(Arrays.copyOf(out, n), null);
  }

  /** An object of scalars (a nested structure inside becomes an empty one, refused by validation). */
  private static JsonObject flatObject(JsonParser p) throws IOException {
    JsonObject out = new JsonObject();
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      out.put(name, scalar(p, p.nextToken()));
    }
    if (p.currentToken() != JsonToken.END_OBJECT) throw notJson();
    return out;
  }

  private static Object scalar(JsonParser p, JsonToken t) throws IOException {
    return switch (t) {
      case VALUE_STRING -> StrictJson.text(p);
      case VALUE_NUMBER_INT -> p.getNumberValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      // a structure where a scalar belongs: an empty one of its kind, which validation then refuses by name
      case START_ARRAY -> {
        p.skipChildren();
        yield new io.vertx.core.json.JsonArray();
      }
      case START_OBJECT -> {
        p.skipChildren();
        yield new JsonObject();
      }
      default -> throw notJson();
    };
  }

  private static ApiError notAnObject() {
    return ApiError.badRequest("The body must be a JSON object, e.g. {\"vector\": [...], \"k\": 10}.");
  }

  private static ApiError notJson() {
    return ApiError.badRequest("The body is not valid JSON.");
  }
}
