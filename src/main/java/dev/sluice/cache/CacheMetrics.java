package dev.sluice.cache;

import dev.sluice.metrics.OperationObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Cache hits, misses and errors per layer and resource. Tags are the catalog's resource names
 * and fixed words only, so cardinality stays low. Scraped as sluice_cache_hits_total etc.
 */
final class CacheMetrics {
  private final MeterRegistry registry;
  /** Meters by their tags; record keys, not concatenated strings, so a lookup builds no text. */
  private final Map<Key, Counter> counters = new ConcurrentHashMap<>();
  private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

  private record Key(String name, String tag, String resource, String kind) {}
  private volatile Timer delivery;

  CacheMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void hit(String layer, CacheSpec spec) {
    counter("sluice.cache.hits", "layer", layer, spec).increment();
  }

  void miss(CacheSpec spec) {
    counter("sluice.cache.misses", "layer", "all", spec).increment();
  }

  /**
   * Times a Redis call of the cache as the operations are timed (sluice_operation_seconds with
   * operation cache.get or cache.put), so cache latency sits beside the operations it serves.
   */
  void time(String operation, CacheSpec spec, long startNanos, boolean error) {
    Key key = new Key(operation, error ? "error" : "ok", spec.resource(), "");
    Timer t = timers.get(key);
    if (t == null) t = timers.computeIfAbsent(key, k -> OperationObserver.timer(operation, spec.resource(), error).register(registry));
    t.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** From a write's bump on another node to its arrival here: how long this node could serve the old value. */
  void delivery(long micros) {
    Timer t = delivery;
    if (t == null) {
      t = Timer.builder("sluice.cache.invalidation.delivery")
          .description("From a write's cache bump on one node to its arrival on another (the cross-node stale window)")
          .publishPercentileHistogram().register(registry);
      delivery = t;
    }
    t.record(micros, TimeUnit.MICROSECONDS);
  }

  void error(String layer) {
    counters.computeIfAbsent(new Key("sluice.cache.errors", layer, "", ""), k -> Counter.builder("sluice.cache.errors")
        .description("Cache layer calls that failed or timed out").tag("layer", layer).register(registry)).increment();
  }

  private Counter counter(String name, String tagName, String tagValue, CacheSpec spec) {
    Key key = new Key(name, tagValue, spec.resource(), spec.kind());
    Counter c = counters.get(key);
    return c != null ? c : counters.computeIfAbsent(key, k -> Counter.builder(name)
        .tag(tagName, tagValue).tag("resource", spec.resource()).tag("kind", spec.kind())
        .register(registry));
  }
}
