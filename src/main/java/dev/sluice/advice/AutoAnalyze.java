package dev.sluice.advice;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * ANALYZE after a large import, as the guides do by hand: a committed write that inserted or updated
 * at least {@code database.analyzeAfterRows} rows of one table (told by its change event, published
 * by the write path right after the commit) makes the gateway run {@code ANALYZE <table>} at once,
 * rather than leaving the planner on old estimates until autovacuum's next round. One ANALYZE per
 * table at a time; imports that commit meanwhile fold into one more run after it.
 */
final class AutoAnalyze {
  private static final Logger LOG = Logger.getLogger(AutoAnalyze.class.getName());

  private final Pool pool;
  private final long threshold;
  private final MeterRegistry registry;
  /** Per table: true while an ANALYZE runs and another import has committed since it started. */
  private final Map<String, Boolean> running = new HashMap<>();

  AutoAnalyze(Pool pool, long threshold, MeterRegistry registry) {
    this.pool = pool;
    this.threshold = threshold;
    this.registry = registry;
  }

  /** A change event of {@code table} (a catalog identifier): {"op": "insert|update|delete", "count": n, ...}. */
  void changed(String table, JsonObject event) {
    if (threshold <= 0) return;
    String op = event.getString("op");
    long count = event.getLong("count", 0L);
    if (count < threshold || !("insert".equals(op) || "update".equals(op))) return;
    if (running.containsKey(table)) {
      running.put(table, true);
      return;
    }
    run(table, count);
  }

  private void run(String table, long rows) {
    running.put(table, false);
    long started = System.nanoTime();
    // The identifier comes from the catalog, checked against the live schema at start.
    pool.query("ANALYZE " + table).execute().onComplete(ar -> {
      String outcome = ar.succeeded() ? "done" : "failed";
      Counter.builder("sluice.db.auto.analyze").tag("table", table).tag("outcome", outcome)
          .description("ANALYZE runs the gateway started itself after large imports").register(registry).increment();
      if (ar.succeeded()) {
        LOG.info("ANALYZE " + table + " after an import of " + rows + " rows: " + (System.nanoTime() - started) / 1_000_000 + " ms");
      } else {
        LOG.warning("ANALYZE " + table + " after an import failed: " + ar.cause().getMessage());
      }
      boolean again = Boolean.TRUE.equals(running.remove(table));
      if (again) run(table, rows);
    });
  }
}
