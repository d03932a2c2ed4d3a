package dev.sluice.sql;

import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/** Collects bind values while SQL text is built; every value becomes a {@code $n}, never text. */
public final class SqlParams {
  private final List<Object> values = new ArrayList<>();

  public String bind(Object value) {
    values.add(value);
    return "$" + values.size();
  }

  public Tuple tuple() {
    return Tuple.from(values);
  }

  public int size() {
    return values.size();
  }

  /** The values as text, arrays element by element: with the SQL text, an exact cache key. */
  public String canonical() {
    StringBuilder sb = new StringBuilder();
    for (Object v : values) {
      sb.append('|');
      if (v instanceof Object[] a) sb.append(java.util.Arrays.toString(a));
      else sb.append(v);
    }
    return sb.toString();
  }
}
