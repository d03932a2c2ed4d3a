package dev.sluice.write;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.sluice.error.ApiError;
import dev.sluice.input.StrictJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.function.ObjIntConsumer;

/**
 * Parses request bodies with Jackson's streaming parser, so a malformed body is a 400 that names
 * its line (and column), a JSON array is walked element by element, and long decimal literals keep
 * their digits (as BigDecimal) instead of being rounded to a double.
 */
final class JsonInput {
  private JsonInput() {}

  /** Walks a JSON array, handing each element and its index to {@code each}; stops after {@code maxRows}. */
  static void parseArray(Buffer body, int maxRows, ObjIntConsumer<Object> each) {
    if (body == null || body.length() == 0) throw ApiError.badRequest("The body must be a JSON array of objects.");
    try (JsonParser p = StrictJson.parser(body)) {
      if (p.nextToken() != JsonToken.START_ARRAY) throw ApiError.badRequest("The body must be a JSON array of objects.");
      int i = 0;
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) throw malformed(p.getCurrentLocation(), "the array is not closed");
        if (i >= maxRows) throw tooManyRows(maxRows);
        each.accept(value(p, t), i++);
      }
      if (p.nextToken() != null) throw malformed(p.getCurrentLocation(), "there is more after the array");
    } catch (JsonProcessingException e) {
      throw malformed(e.getLocation(), StrictJson.reason(e));
    } catch (IOException e) {
      throw ApiError.badRequest("The body could not be read as JSON.");
    }
  }

  /** Parses one JSON value (a PATCH or batch body); the whole buffer must be that value. */
  static Object parseValue(Buffer body) {
    if (body == null || body.length() == 0) throw ApiError.badRequest("The body must be a JSON object.");
    try (JsonParser p = StrictJson.parser(body)) {
      JsonToken t = p.nextToken();
      if (t == null) throw ApiError.badRequest("The body must be a JSON object.");
      Object v = value(p, t);
      if (p.nextToken() != null) throw malformed(p.getCurrentLocation(), "there is more after the value");
      return v;
    } catch (JsonProcessingException e) {
      throw malformed(e.getLocation(), StrictJson.reason(e));
    } catch (IOException e) {
      throw ApiError.badRequest("The body could not be read as JSON.");
    }
  }

  /** Parses one NDJSON line; a malformed one is a 400 naming line {@code lineNo}. */
  static Object parseLine(Buffer line, long lineNo) {
    try (JsonParser p = StrictJson.parser(line)) {
      JsonToken t = p.nextToken();
      if (t == null) throw malformedLine(lineNo, "it holds no JSON value");
      Object v = value(p, t);
      if (p.nextToken() != null) throw malformedLine(lineNo, "there is more than one JSON value on the line");
      return v;
    } catch (JsonProcessingException e) {
      throw malformedLine(lineNo, StrictJson.reason(e));
    } catch (IOException e) {
      throw malformedLine(lineNo, null);
    }
  }

  private static Object value(JsonParser p, JsonToken t) throws IOException {
    if (t == null) throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected end of input");
    switch (t) {
      case START_OBJECT: {
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        JsonToken k;
        while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
          String name = StrictJson.text(p);
          map.put(name, value(p, p.nextToken()));
        }
        if (k != JsonToken.END_OBJECT) throw new com.fasterxml.jackson.core.JsonParseException(p, "unclosed object");
        return new JsonObject(map);
      }
      case START_ARRAY: {
        ArrayList<Object> list = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          if (e == null) throw new com.fasterxml.jackson.core.JsonParseException(p, "unclosed array");
          list.add(value(p, e));
        }
        return new JsonArray(list);
      }
      case VALUE_STRING:
        return StrictJson.text(p);
      case VALUE_NUMBER_INT:
        return p.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        // Up to 15 significant digits a double is exact; longer literals keep every digit.
        return p.getTextLength() > 15 ? new BigDecimal(p.getText()) : (Object) p.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected token");
    }
  }

  static ApiError malformed(JsonLocation at, String why) {
    JsonObject details = new JsonObject();
    String where = "";
    if (at != null && at.getLineNr() > 0) {
      details.put("line", at.getLineNr()).put("column", at.getColumnNr());
      where = " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
    return ApiError.badRequest("The body is not valid JSON" + where + (why == null ? "" : ": " + why) + ".", details);
  }

  static ApiError malformedLine(long lineNo, String why) {
    return ApiError.badRequest("Line " + lineNo + " is not valid JSON" + (why == null ? "" : ": " + why) + ".",
        new JsonObject().put("line", lineNo));
  }

  static ApiError tooManyRows(long max) {
    return new ApiError(413, "too_large", "A request may write at most " + max + " rows.",
        new JsonObject().put("maxRows", max));
  }
}
