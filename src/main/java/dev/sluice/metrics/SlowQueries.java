package dev.sluice.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The slow statements of the last hour (bounded), for the per-hour alert and /admin/slo, and which
 * of them to log: each is counted, but a run of them of the same kind on the same table (a bulk
 * import's chunks, the demo load) is logged once per {@link #LOG_EVERY_MS}, with how many were not.
 */
final class SlowQueries {
  private static final int KEEP = 1000;
  private static final long HOUR = 3_600_000L;
  static final long LOG_EVERY_MS = 10_000L;
  /** Returned by {@link #record} when the statement is not to be logged. */
  static final int QUIET = -1;

  private record Entry(long atMillis, String kind, String table, double millis, String sql) {}

  /** Per kind and table: when a statement was last logged and how many have been left out since. */
  private static final class Logged {
    boolean ever;
    long atMillis;
    int skipped;
  }

  private final Deque<Entry> entries = new ArrayDeque<>();
  private final Map<String, Logged> logged = new HashMap<>();
  private final LongSupplier clock;

  SlowQueries(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * Keeps the statement; returns {@link #QUIET} when it is not to be logged, else how many of its kind
   * on its table were left out of the log since the last one that was.
   */
  synchronized int record(String kind, String table, double millis, String sql) {
    long now = clock.getAsLong();
    entries.addLast(new Entry(now, kind, table, millis, SqlObserver.truncate(sql)));
    if (entries.size() > KEEP) entries.removeFirst();
    // kind and table come from a closed set (statement verbs, catalog tables): the map stays small
    Logged last = logged.computeIfAbsent(kind + " " + table, k -> new Logged());
    if (last.ever && now - last.atMillis < LOG_EVERY_MS) {
      last.skipped++;
      return QUIET;
    }
    int skipped = last.skipped;
    last.ever = true;
    last.atMillis = now;
    last.skipped = 0;
    return skipped;
  }

  synchronized int lastHour() {
    long cutoff = clock.getAsLong() - HOUR;
    while (!entries.isEmpty() && entries.peekFirst().atMillis() < cutoff) entries.removeFirst();
    return entries.size();
  }

  synchronized JsonArray recent(int n) {
    JsonArray out = new JsonArray();
    entries.descendingIterator().forEachRemaining(e -> {
      if (out.size() < n) {
        out.add(new JsonObject().put("at", java.time.Instant.ofEpochMilli(e.atMillis()).toString())
            .put("kind", e.kind()).put("table", e.table()).put("ms", Math.round(e.millis() * 10) / 10.0).put("sql", e.sql()));
      }
    });
    return out;
  }
}
