package dev.sluice.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cache hits, misses and errors per layer and resource. Tags are the catalog's resource names
 * and fixed words only, so cardinality stays low. Scraped as sluice_cache_hits_total etc.
 */
final class CacheMetrics {
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  CacheMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void hit(String layer, CacheSpec spec) {
    counter("sluice.cache.hits", "layer", layer, spec).increment();
  }

  void miss(CacheSpec spec) {
    counter("sluice.cache.misses", "layer", "all", spec).increment();
  }

  void error(String layer) {
    counters.computeIfAbsent("err:" + layer, k -> Counter.builder("sluice.cache.errors")
        .description("Cache layer calls that failed or timed out").tag("layer", layer).register(registry)).increment();
  }

  private Counter counter(String name, String tagName, String tagValue, CacheSpec spec) {
    String key = name + '|' + tagValue + '|' + spec.resource() + '|' + spec.kind();
    return counters.computeIfAbsent(key, k -> Counter.builder(name)
        .tag(tagName, tagValue).tag("resource", spec.resource()).tag("kind", spec.kind())
        .register(registry));
  }
}
