package dev.sluice.sql;

import dev.sluice.catalog.ColumnType;

/**
 * How a column's values are bound: natively, or — for the three types the client cannot bind
 * natively in arrays (numeric, jsonb, vector) — as text, cast in SQL ({@code u.c1::jsonb}).
 */
public final class Casts {
  private Casts() {}

  /** True for the types bound as text and cast in SQL. */
  public static boolean boundAsText(ColumnType t) {
    return t == ColumnType.NUMERIC || t == ColumnType.JSONB || t == ColumnType.VECTOR;
  }

  /** The array type of a column's chunk parameter, e.g. {@code int8[]}, or {@code text[]} for text-bound types. */
  public static String arrayType(ColumnType t) {
    return (boundAsText(t) ? "text" : t.pgName) + "[]";
  }
}
