package dev.sluice.catalog;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/**
 * The column types the gateway knows how to bind. A filter value is parsed into the Java type
 * the Postgres client binds for that column, so a bad value is a 400 before any SQL runs.
 */
public enum ColumnType {
  INT2("int2"), INT4("int4"), INT8("int8"), NUMERIC("numeric"), FLOAT4("float4"), FLOAT8("float8"),
  BOOL("bool"), TEXT("text"), UUID_("uuid"), DATE("date"), TIMESTAMP("timestamp"), TIMESTAMPTZ("timestamptz"),
  JSONB("jsonb"), VECTOR("vector");

  /** The PostgreSQL type name, used in explicit casts such as {@code $1::int8[]}. */
  public final String pgName;

  ColumnType(String pgName) {
    this.pgName = pgName;
  }

  /** Maps information_schema's udt_name; null for types the gateway does not expose. */
  public static ColumnType fromUdt(String udt) {
    return switch (udt) {
      case "int2" -> INT2;
      case "int4" -> INT4;
      case "int8" -> INT8;
      case "numeric" -> NUMERIC;
      case "float4" -> FLOAT4;
      case "float8" -> FLOAT8;
      case "bool" -> BOOL;
      case "text", "varchar", "bpchar", "citext", "name" -> TEXT;
      case "uuid" -> UUID_;
      case "date" -> DATE;
      case "timestamp" -> TIMESTAMP;
      case "timestamptz" -> TIMESTAMPTZ;
      case "jsonb", "json" -> JSONB;
      case "vector" -> VECTOR;
      default -> null;
    };
  }

  public boolean isText() {
    return this == TEXT;
  }

  public boolean comparable() {
    return this != JSONB && this != VECTOR && this != BOOL;
  }

  /**
   * Parses a query-string value into the bound Java value.
   *
   * @throws IllegalArgumentException with a person-readable reason when it does not parse
   */
  public Object parse(String text) {
    try {
      return switch (this) {
        case INT2 -> Short.parseShort(text);
        case INT4 -> Integer.parseInt(text);
        case INT8 -> Long.parseLong(text);
        case NUMERIC -> new BigDecimal(text);
        case FLOAT4 -> Float.parseFloat(text);
        case FLOAT8 -> Double.parseDouble(text);
        case BOOL -> switch (text) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          default -> throw new IllegalArgumentException("expected true or false");
        };
        case TEXT -> text;
        case UUID_ -> UUID.fromString(text);
        case DATE -> LocalDate.parse(text);
        case TIMESTAMP -> LocalDateTime.parse(text);
        case TIMESTAMPTZ -> parseTimestamptz(text);
        case JSONB, VECTOR -> throw new IllegalArgumentException("this field cannot be filtered by value");
      };
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException("expected " + describe());
    }
  }

  private static OffsetDateTime parseTimestamptz(String text) {
    try {
      return OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      // A date or a local time without an offset is read as UTC, as PostgreSQL does with TimeZone=UTC.
      if (text.length() == 10) return LocalDate.parse(text).atStartOfDay().atOffset(java.time.ZoneOffset.UTC);
      return LocalDateTime.parse(text).atOffset(java.time.ZoneOffset.UTC);
    }
  }

  public String describe() {
    return switch (this) {
      case INT2, INT4, INT8 -> "a whole number";
      case NUMERIC, FLOAT4, FLOAT8 -> "a number";
      case BOOL -> "true or false";
      case TEXT -> "text";
      case UUID_ -> "a UUID";
      case DATE -> "a date (YYYY-MM-DD)";
      case TIMESTAMP, TIMESTAMPTZ -> "an ISO-8601 timestamp";
      case JSONB -> "JSON";
      case VECTOR -> "a vector";
    };
  }
}
