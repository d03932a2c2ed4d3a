package dev.sluice.metrics;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Slow queries: every one is counted, a run of one kind on one table is logged once per interval")
class SlowQueriesTest {
  final AtomicLong now = new AtomicLong(0);
  final SlowQueries slow = new SlowQueries(now::get);

  int record(String kind, String table) {
    return slow.record(kind, table, 150, kind.toUpperCase() + " ... " + table);
  }

  @Test
  @DisplayName("the first is logged, the rest of the interval is counted quietly and reported with the next line")
  void aRunIsLoggedOncePerInterval() {
    assertEquals(0, record("insert", "documents"));
    for (int i = 0; i < 40; i++) {
      now.addAndGet(100);
      assertEquals(SlowQueries.QUIET, record("insert", "documents"));
    }
    // another table or kind has a line of its own at once
    assertEquals(0, record("insert", "leads"));
    assertEquals(0, record("read", "documents"));
    now.set(SlowQueries.LOG_EVERY_MS);
    assertEquals(40, record("insert", "documents"));
    assertEquals(SlowQueries.QUIET, record("insert", "documents"));
    // all of them count for the per-hour alert and /admin/slo
    assertEquals(45, slow.lastHour());
  }
}
