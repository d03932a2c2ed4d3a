package dev.sluice.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/** The slow statements of the last hour (bounded), for the per-hour alert and /admin/slo. */
final class SlowQueries {
  private static final int KEEP = 1000;
  private static final long HOUR = 3_600_000L;

  private record Entry(long atMillis, String kind, String table, double millis, String sql) {}

  private final Deque<Entry> entries = new ArrayDeque<>();
  private final LongSupplier clock;

  SlowQueries(LongSupplier clock) {
    this.clock = clock;
  }

  synchronized void record(String kind, String table, double millis, String sql) {
    entries.addLast(new Entry(clock.getAsLong(), kind, table, millis, SqlObserver.truncate(sql)));
    if (entries.size() > KEEP) entries.removeFirst();
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
