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
        case NUMERIC -> numeric(new BigDecimal(text));
        case FLOAT4 -> Float.parseFloat(text);
        case FLOAT8 -> Double.parseDouble(text);
        case BOOL -> switch (text) {
          case "true" -> Boolean.TRUE;
          case "false" -> Boolean.FALSE;
          default -> throw new IllegalArgumentException("expected true or false");
        };
        case TEXT -> text;
        case UUID_ -> UUID.fromString(text);
        case DATE -> finite(LocalDate.parse(text));
        case TIMESTAMP -> finite(LocalDateTime.parse(text));
        case TIMESTAMPTZ -> finite(parseTimestamptz(text));
        case JSONB, VECTOR -> throw new IllegalArgumentException("this field cannot be filtered by value");
      };
    } catch (NumberFormatException | java.time.DateTimeException e) {
      throw new IllegalArgumentException("expected " + describe());
    }
  }

  // PostgreSQL's finite ranges (docs, "Date/Time Types"): 4713 BC is ISO year -4712. Beyond them the
  // client binds a Java date as +/-infinity, so a far-future value would be stored as infinity, not refused.
  private static final LocalDateTime TIMESTAMP_MIN = LocalDateTime.of(-4712, 1, 1, 0, 0);
  private static final LocalDateTime TIMESTAMP_MAX = LocalDateTime.of(294276, 12, 31, 23, 59, 59, 999_999_000);
  private static final LocalDate DATE_MIN = LocalDate.of(-4712, 1, 1);
  private static final LocalDate DATE_MAX = LocalDate.of(5874897, 12, 31);
  /** numeric: up to 131072 digits before the decimal point and 16383 after (PostgreSQL's limits). */
  private static final int NUMERIC_MAX_INTEGER_DIGITS = 131072;
  private static final int NUMERIC_MAX_SCALE = 16383;

  private static LocalDate finite(LocalDate d) {
    if (d.isBefore(DATE_MIN) || d.isAfter(DATE_MAX)) throw new IllegalArgumentException("expected a date within 4713 BC to 5874897 AD");
    return d;
  }

  private static LocalDateTime finite(LocalDateTime t) {
    if (t.isBefore(TIMESTAMP_MIN) || t.isAfter(TIMESTAMP_MAX)) throw outOfTimestampRange();
    return t;
  }

  private static OffsetDateTime finite(OffsetDateTime t) {
    finite(t.withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime());
    return t;
  }

  private static IllegalArgumentException outOfTimestampRange() {
    return new IllegalArgumentException("expected a timestamp within 4713 BC to 294276 AD");
  }

  /**
   * A numeric value PostgreSQL can hold; anything else (1e999999999) is refused here, before the
   * client would try to encode it.
   *
   * @throws IllegalArgumentException when it is out of numeric's range
   */
  public static BigDecimal numeric(BigDecimal n) {
    if (n.signum() != 0 && (n.precision() - (long) n.scale() > NUMERIC_MAX_INTEGER_DIGITS || n.scale() > NUMERIC_MAX_SCALE)) {
      throw new IllegalArgumentException("expected a number within numeric's range");
    }
    return n;
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

  /** The Java class {@link #parse} returns, e.g. for an empty array of this type. */
  public Class<?> boundClass() {
    return switch (this) {
      case INT2 -> Short.class;
      case INT4 -> Integer.class;
      case INT8 -> Long.class;
      case NUMERIC -> BigDecimal.class;
      case FLOAT4 -> Float.class;
      case FLOAT8 -> Double.class;
      case BOOL -> Boolean.class;
      case UUID_ -> UUID.class;
      case DATE -> LocalDate.class;
      case TIMESTAMP -> LocalDateTime.class;
      case TIMESTAMPTZ -> OffsetDateTime.class;
      case TEXT, JSONB, VECTOR -> String.class;
    };
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
