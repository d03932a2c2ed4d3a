package dev.sluice.metrics;

import dev.sluice.config.SloSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Evaluates the SLO targets and alert thresholds over sliding windows. Pure: samples come from
 * {@link WindowedStats}, counters and gauges from suppliers, time from an injected clock, so it is
 * tested with recorded samples. A status change to breach, and back to ok, is reported once as a
 * transition; staying in a state reports nothing.
 */
public final class SloEvaluator {
  public static final String OK = "ok";
  public static final String BREACH = "breach";
  public static final String NO_DATA = "no_data";

  private final SloSettings settings;
  private final WindowedStats stats;
  private final SlowQueries slow;
  private final LongSupplier clock;
  private final LongSupplier cacheHits;
  private final LongSupplier cacheMisses;
  private final DoubleSupplier poolUtilisation;
  private final Supplier<Double> replicaLagMs;
  private final Map<String, String> last = new HashMap<>();
  private final Deque<long[]> cacheSamples = new ArrayDeque<>();
  private JsonObject latest = new JsonObject();

  /** The report of one evaluation and the transitions it found. */
  public record Evaluation(JsonObject report, List<JsonObject> transitions) {}

  /** A further threshold evaluated with the built-in ones (value null: no data). */
  public record Threshold(String name, String unit, Double value, double limit, boolean above) {}

  private Supplier<List<Threshold>> extra = List::of;

  /** Thresholds read afresh at every evaluation (the database gauges'), alerting like the others. */
  public synchronized void extraThresholds(Supplier<List<Threshold>> thresholds) {
    extra = thresholds;
  }

  public SloEvaluator(SloSettings settings, WindowedStats stats, SlowQueries slow, LongSupplier clock,
                      LongSupplier cacheHits, LongSupplier cacheMisses, DoubleSupplier poolUtilisation,
                      Supplier<Double> replicaLagMs) {
    this.settings = settings;
    this.stats = stats;
    this.slow = slow;
    this.clock = clock;
    this.cacheHits = cacheHits;
    this.cacheMisses = cacheMisses;
    this.poolUtilisation = poolUtilisation;
    this.replicaLagMs = replicaLagMs;
  }

  public synchronized Evaluation evaluate() {
    long now = clock.getAsLong();
    List<JsonObject> transitions = new ArrayList<>();
    long primary = settings.windowsSeconds().get(0) * 1000L;

    JsonArray targets = new JsonArray();
    for (SloSettings.Target t : settings.targets()) {
      WindowedStats.Snapshot s = stats.snapshot(t.operations(), primary);
      String status = s.count() == 0 ? NO_DATA : s.p95() > t.p95Ms() ? BREACH : OK;
      JsonObject j = new JsonObject().put("name", t.name()).put("operation", String.join(",", t.operations()))
          .put("p95TargetMs", t.p95Ms()).put("p95Ms", round(s.p95())).put("p50Ms", round(s.p50()))
          .put("p99Ms", round(s.p99())).put("qps", round(s.perSecond())).put("count", s.count())
          .put("qpsTarget", t.qps() > 0 ? t.qps() : null)
          .put("status", status).put("window", settings.windowsSeconds().get(0) + "s");
      JsonObject windows = new JsonObject();
      for (int w : settings.windowsSeconds()) {
        WindowedStats.Snapshot ws = stats.snapshot(t.operations(), w * 1000L);
        windows.put(w + "s", new JsonObject().put("p95Ms", round(ws.p95())).put("qps", round(ws.perSecond()))
            .put("count", ws.count()));
      }
      j.put("windows", windows);
      targets.add(j);
      transition("slo:" + t.name(), status, j, transitions, now);
    }

    JsonArray alerts = new JsonArray();
    SloSettings.Alerts a = settings.alerts();
    WindowedStats.Snapshot db = stats.snapshot(List.of("db.statement"), primary);
    alerts.add(threshold("avg-query-time", "ms", db.count() == 0 ? null : db.mean(), a.avgQueryMs(), true, transitions, now));
    alerts.add(threshold("p95-query-time", "ms", db.count() == 0 ? null : db.p95(), a.p95QueryMs(), true, transitions, now));
    alerts.add(threshold("slow-queries-per-hour", "count", (double) slow.lastHour(), a.slowQueriesPerHour(), true,
        transitions, now));
    alerts.add(threshold("cache-hit-rate", "ratio", cacheHitRatio(now, primary), a.cacheHitRatio(), false, transitions, now));
    alerts.add(threshold("pool-utilisation", "ratio", poolUtilisation.getAsDouble(), a.poolUtilisation(), true,
        transitions, now));
    // The largest known lag of the streaming replicas; no_data without replicas.
    alerts.add(threshold("replica-lag", "ms", replicaLagMs.get(), a.replicaLagMs(), true, transitions, now));
    List<String> ops = new ArrayList<>(stats.keys());
    ops.remove("db.statement");
    WindowedStats.Snapshot all = stats.snapshot(ops, primary);
    alerts.add(threshold("error-rate", "ratio", all.count() == 0 ? null : (double) all.errors() / all.count(), a.errorRate(),
        true, transitions, now));
    for (Threshold t : extra.get()) alerts.add(threshold(t.name(), t.unit(), t.value(), t.limit(), t.above(), transitions, now));

    latest = new JsonObject().put("targets", targets).put("alerts", alerts)
        .put("slowQueries", slow.recent(10)).put("evaluatedAt", java.time.Instant.ofEpochMilli(now).toString());
    return new Evaluation(latest, transitions);
  }

  public synchronized JsonObject latest() {
    return latest;
  }

  private JsonObject threshold(String name, String unit, Double value, double limit, boolean above,
                               List<JsonObject> transitions, long now) {
    String status = value == null ? NO_DATA : (above ? value > limit : value < limit) ? BREACH : OK;
    JsonObject j = new JsonObject().put("name", name).put("unit", unit).put("value", value == null ? null : round(value))
        .put("threshold", limit).put("breachWhen", above ? "above" : "below").put("status", status);
    transition("alert:" + name, status, j, transitions, now);
    return j;
  }

  /** Records a change to breach, or from breach back to ok; no_data keeps the previous state. */
  private void transition(String key, String status, JsonObject detail, List<JsonObject> out, long now) {
    if (status.equals(NO_DATA)) return;
    String before = last.put(key, status);
    boolean changed = before == null ? status.equals(BREACH) : !before.equals(status);
    if (changed) {
      out.add(new JsonObject().put("kind", key.substring(0, key.indexOf(':'))).put("name", key.substring(key.indexOf(':') + 1))
          .put("status", status).put("detail", detail.copy()).put("at", java.time.Instant.ofEpochMilli(now).toString()));
    }
  }

  /** Hit ratio over the window, from the cumulative cache counters sampled at each evaluation. */
  private Double cacheHitRatio(long now, long window) {
    cacheSamples.addLast(new long[] {now, cacheHits.getAsLong(), cacheMisses.getAsLong()});
    // Keep the newest sample taken at or before the window's start as the baseline.
    while (cacheSamples.size() > 1 && second(cacheSamples)[0] <= now - window) cacheSamples.removeFirst();
    long[] first = cacheSamples.peekFirst();
    long[] lastSample = cacheSamples.peekLast();
    long hits = lastSample[1] - first[1];
    long total = hits + (lastSample[2] - first[2]);
    if (cacheSamples.size() == 1) {
      hits = lastSample[1];
      total = lastSample[1] + lastSample[2];
    }
    return total == 0 ? null : (double) hits / total;
  }

  private static long[] second(Deque<long[]> samples) {
    var it = samples.iterator();
    it.next();
    return it.next();
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
