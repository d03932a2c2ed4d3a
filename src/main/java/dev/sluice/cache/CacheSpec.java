package dev.sluice.cache;

import java.util.List;

/**
 * What one cacheable read is: where its value lives and which version counters it depends on.
 *
 * @param resource for metrics (low cardinality: the catalog's names only)
 * @param kind "entity", "page" or "count", for metrics
 * @param base the value key without its version; tenant is always part of it
 * @param versionKeys Redis counters whose current values, joined, are the value's version; a write
 *     bumps the counters it affects, which makes every older value unreachable at once
 * @param ttlSeconds time to live of the value in both layers
 */
public record CacheSpec(String resource, String kind, String base, List<String> versionKeys, int ttlSeconds) {}
