package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.catalog.ColumnType;
import dev.sluice.input.TextValues;
import dev.sluice.sql.Casts;
import dev.sluice.sql.MutationSql;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Turns a JSON value into the Java value bound for a column, or says why it cannot be one. Types
 * are strict (a number is not text, text is not a number); the three types the client cannot bind
 * natively in arrays — numeric, jsonb and vector — travel as text and are cast in SQL.
 */
final class Values {
  /** A value that does not fit its column; the message is the reason, for a person. Cheap: no stack trace. */
  static final class Invalid extends RuntimeException {
    Invalid(String reason) {
      super(reason, null, false, false);
    }
  }

  private Values() {}

  /** The column types a PATCH may increment. */
  static boolean incrementable(ColumnType t) {
    return switch (t) {
      case INT2, INT4, INT8, NUMERIC, FLOAT4, FLOAT8 -> true;
      default -> false;
    };
  }

  /** {@code {"inc": n}} for an incrementable column, n type-checked as a value of that column. */
  static MutationSql.Increment increment(WriteTarget.Column c, JsonObject o) {
    if (o.size() != 1 || !o.containsKey("inc") || o.getValue("inc") == null) {
      throw new Invalid("expected " + c.type().describe() + " or {\"inc\": n}");
    }
    return new MutationSql.Increment(convert(c, o.getValue("inc")));
  }

  /** A new array of the Java type the Postgres client encodes as {@link Casts#arrayType}. */
  static Object[] newArray(ColumnType t, int n) {
    return switch (t) {
      case INT2 -> new Short[n];
      case INT4 -> new Integer[n];
      case INT8 -> new Long[n];
      case FLOAT4 -> new Float[n];
      case FLOAT8 -> new Double[n];
      case BOOL -> new Boolean[n];
      case UUID_ -> new UUID[n];
      case DATE -> new LocalDate[n];
      case TIMESTAMP -> new LocalDateTime[n];
      case TIMESTAMPTZ -> new OffsetDateTime[n];
      case TEXT, NUMERIC, JSONB, VECTOR -> new String[n];
    };
  }

  /** The bound value of a non-null JSON value for a column. */
  static Object convert(WriteTarget.Column c, Object v) {
    ColumnType t = c.type();
    switch (t) {
      case INT2 -> {
        long n = whole(v);
        if (n < Short.MIN_VALUE || n > Short.MAX_VALUE) throw new Invalid("is out of range for a small integer");
        return (short) n;
      }
      case INT4 -> {
        long n = whole(v);
        if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) throw new Invalid("is out of range for an integer");
        return (int) n;
      }
      case INT8 -> {
        return whole(v);
      }
      case NUMERIC -> {
        if (v instanceof Integer || v instanceof Long) return v.toString();
        try {
          if (v instanceof BigInteger b) return ColumnType.numeric(new BigDecimal(b)).toString();
          if (v instanceof BigDecimal b) return ColumnType.numeric(b).toString();
          if (v instanceof Double d) {
            if (!Double.isFinite(d)) throw new Invalid("is out of range");
            return BigDecimal.valueOf(d).toString();
          }
          if (v instanceof String s) return ColumnType.numeric(new BigDecimal(s.trim())).toString();
        } catch (NumberFormatException e) {
          throw new Invalid("expected a number");
        } catch (IllegalArgumentException e) {
          throw new Invalid("is out of range");
        }
        throw new Invalid("expected a number");
      }
      case FLOAT4 -> {
        double d = number(v);
        if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) throw new Invalid("is out of range");
        return (float) d;
      }
      case FLOAT8 -> {
        double d = number(v);
        if (!Double.isFinite(d)) throw new Invalid("is out of range");
        return d;
      }
      case BOOL -> {
        if (v instanceof Boolean b) return b;
        throw new Invalid("expected true or false");
      }
      case TEXT -> {
        if (!(v instanceof String s)) throw new Invalid("expected text");
        String problem = TextValues.problem(s);
        if (problem != null) throw new Invalid(problem);
        if (c.maxLength() > 0 && s.codePointCount(0, s.length()) > c.maxLength()) {
          throw new Invalid("is longer than " + c.maxLength() + " characters");
        }
        return s;
      }
      case UUID_, DATE, TIMESTAMP, TIMESTAMPTZ -> {
        if (!(v instanceof String s)) throw new Invalid("expected " + t.describe());
        try {
          return t.parse(s);
        } catch (IllegalArgumentException e) {
          // the range checks say which range; any other parse failure names the expected form
          String m = e.getMessage();
          throw new Invalid(m != null && m.startsWith("expected ") ? m : "expected " + t.describe());
        }
      }
      case JSONB -> {
        if (v instanceof JsonObject o) return o.encode();
        if (v instanceof JsonArray a) return a.encode();
        return Json.encode(v);
      }
      case VECTOR -> {
        return vector(c, v);
      }
      default -> throw new Invalid("cannot be written");
    }
  }

  /** A vector as pgvector's text form '[x,y,...]': the catalog's dimensions, finite float4 values. */
  private static String vector(WriteTarget.Column c, Object v) {
    if (!(v instanceof JsonArray a)) throw new Invalid("expected an array of numbers");
    if (a.isEmpty()) throw new Invalid("may not be empty");
    if (c.dimensions() > 0 && a.size() != c.dimensions()) {
      throw new Invalid("must have " + c.dimensions() + " dimensions, not " + a.size());
    }
    StringBuilder sb = new StringBuilder(a.size() * 12).append('[');
    for (int i = 0; i < a.size(); i++) {
      Object x = a.getValue(i);
      if (!(x instanceof Number n)) throw new Invalid("element " + i + " is not a number");
      double d = n.doubleValue();
      if (!Double.isFinite(d) || Math.abs(d) > Float.MAX_VALUE) throw new Invalid("element " + i + " is not finite");
      if (i > 0) sb.append(',');
      sb.append((float) d);
    }
    return sb.append(']').toString();
  }

  /** True for a JSON array of numbers that are all zero (a vector with no direction). */
  static boolean isZeroVector(Object v) {
    if (!(v instanceof JsonArray a) || a.isEmpty()) return false;
    for (Object x : a) {
      if (!(x instanceof Number n) || n.doubleValue() != 0) return false;
    }
    return true;
  }

  private static long whole(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short) return ((Number) v).longValue();
    if (v instanceof BigInteger) throw new Invalid("is out of range");
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9.0e15) return d.longValue();
    if (v instanceof BigDecimal b) {
      try {
        return b.longValueExact();
      } catch (ArithmeticException e) {
        throw new Invalid("expected a whole number");
      }
    }
    throw new Invalid("expected a whole number");
  }

  private static double number(Object v) {
    if (v instanceof Number n) return n.doubleValue();
    throw new Invalid("expected a number");
  }
}
