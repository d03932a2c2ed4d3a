package dev.sluice.metrics;

import dev.sluice.config.SloSettings;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The SLO evaluator, on a controllable clock with recorded samples")
class SloEvaluatorTest {
  final AtomicLong now = new AtomicLong(1_000_000);
  final AtomicLong hits = new AtomicLong();
  final AtomicLong misses = new AtomicLong();
  WindowedStats stats;
  SlowQueries slow;
  SloEvaluator evaluator;
  double pool;
  Double replicaLag;

  @BeforeEach
  void setUp() {
    SloSettings settings = new SloSettings(1000, List.of(60, 300), 100,
        List.of(new SloSettings.Target("simple-query", List.of("read.get", "read.page"), 10, 0),
            new SloSettings.Target("reads", List.of("read.get"), 100, 1000)),
        new SloSettings.Alerts(200, 500, 10, 0.85, 0.8, 0.01, 500));
    stats = new WindowedStats(1000, 300_000, now::get);
    slow = new SlowQueries(now::get);
    evaluator = new SloEvaluator(settings, stats, slow, now::get, hits::get, misses::get, () -> pool, () -> replicaLag);
  }

  void record(String op, int n, long micros) {
    for (int i = 0; i < n; i++) stats.record(op, micros, false);
  }

  JsonObject target(SloEvaluator.Evaluation e, String name) {
    return e.report().getJsonArray("targets").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("name").equals(name)).findFirst().orElseThrow();
  }

  JsonObject alert(SloEvaluator.Evaluation e, String name) {
    return e.report().getJsonArray("alerts").stream().map(o -> (JsonObject) o)
        .filter(t -> t.getString("name").equals(name)).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("no samples is no_data, and no alert")
  void noData() {
    SloEvaluator.Evaluation e = evaluator.evaluate();
    assertEquals("no_data", target(e, "simple-query").getString("status"));
    assertTrue(e.transitions().isEmpty());
  }

  @Test
  @DisplayName("p95 over the objective is a breach, announced once; back under it is ok, announced once")
  void breachOnceThenRecoverOnce() {
    record("read.get", 90, 2_000);   // 2 ms
    record("read.get", 10, 50_000);  // 50 ms: p95 lands here
    SloEvaluator.Evaluation first = evaluator.evaluate();
    JsonObject t = target(first, "simple-query");
    assertEquals("breach", t.getString("status"));
    assertEquals(50.0, t.getDouble("p95Ms"), 0.5); // HdrHistogram at 2 significant digits: within 1 %
    assertEquals(1, first.transitions().size());
    assertEquals("breach", first.transitions().get(0).getString("status"));
    assertEquals("simple-query", first.transitions().get(0).getString("name"));

    now.addAndGet(1000);
    assertTrue(evaluator.evaluate().transitions().isEmpty(), "still in breach: nothing new to say");

    // The slow samples leave the 1-minute window; fast ones arrive.
    now.addAndGet(61_000);
    record("read.get", 100, 1_000);
    SloEvaluator.Evaluation recovered = evaluator.evaluate();
    assertEquals("ok", target(recovered, "simple-query").getString("status"));
    assertEquals(1, recovered.transitions().size());
    assertEquals("ok", recovered.transitions().get(0).getString("status"));
    // The 5-minute window still holds the first hundred samples too.
    assertEquals(200L, target(recovered, "simple-query").getJsonObject("windows").getJsonObject("300s").getLong("count"));
    assertEquals(100L, target(recovered, "simple-query").getLong("count"));
  }

  @Test
  @DisplayName("QPS is reported against the throughput target over the window")
  void qps() {
    record("read.get", 600, 1_000);
    JsonObject reads = target(evaluator.evaluate(), "reads");
    assertEquals(10.0, reads.getDouble("qps"), 0.01); // 600 in a 60 s window
    assertEquals(1000.0, reads.getDouble("qpsTarget"));
  }

  @Test
  @DisplayName("thresholds: error rate, query times, slow queries per hour, cache hit rate, pool utilisation")
  void thresholds() {
    for (int i = 0; i < 98; i++) stats.record("read.get", 1_000, false);
    stats.record("read.get", 1_000, true);
    stats.record("read.get", 1_000, true);
    record("db.statement", 100, 300_000); // 300 ms each
    for (int i = 0; i < 11; i++) slow.record("read", "leads", 300, "SELECT 1");
    hits.set(80);
    misses.set(20);
    pool = 0.9;
    SloEvaluator.Evaluation e = evaluator.evaluate();
    assertEquals("breach", alert(e, "error-rate").getString("status"));
    assertEquals(0.02, alert(e, "error-rate").getDouble("value"), 0.0001);
    assertEquals("breach", alert(e, "avg-query-time").getString("status"));
    assertEquals("ok", alert(e, "p95-query-time").getString("status"));
    assertEquals("breach", alert(e, "slow-queries-per-hour").getString("status"));
    assertEquals("breach", alert(e, "cache-hit-rate").getString("status"));
    assertEquals("breach", alert(e, "pool-utilisation").getString("status"));

    // An hour later the slow queries have aged out; the cache ratio is measured over the window.
    now.addAndGet(3_601_000);
    hits.addAndGet(95);
    misses.addAndGet(5);
    pool = 0.1;
    SloEvaluator.Evaluation later = evaluator.evaluate();
    assertEquals("ok", alert(later, "slow-queries-per-hour").getString("status"));
    assertEquals(0.95, alert(later, "cache-hit-rate").getDouble("value"), 0.0001);
    assertEquals("ok", alert(later, "pool-utilisation").getString("status"));
    assertNull(alert(later, "error-rate").getValue("value"));
  }

  @Test
  @DisplayName("replica lag is no_data without replicas, a breach over its bound (announced once), ok again when caught up")
  void replicaLag() {
    assertEquals("no_data", alert(evaluator.evaluate(), "replica-lag").getString("status"));
    replicaLag = 120.0;
    SloEvaluator.Evaluation ok = evaluator.evaluate();
    assertEquals("ok", alert(ok, "replica-lag").getString("status"));
    assertTrue(ok.transitions().isEmpty());
    replicaLag = 2500.0;
    SloEvaluator.Evaluation behind = evaluator.evaluate();
    assertEquals("breach", alert(behind, "replica-lag").getString("status"));
    assertEquals(1, behind.transitions().size());
    assertTrue(evaluator.evaluate().transitions().isEmpty(), "staying in breach announces nothing");
    replicaLag = 0.0;
    SloEvaluator.Evaluation back = evaluator.evaluate();
    assertEquals("ok", alert(back, "replica-lag").getString("status"));
    assertEquals(1, back.transitions().size());
  }
}
