package dev.sluice.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Cache-aside for read responses: a bounded Caffeine L1 per gateway in front of Redis (L2),
 * values stored as the exact response bytes.
 *
 * <p>Exactness comes from versions, not from deleting keys: every value key ends in the current
 * values of the counters it depends on (see {@link CacheKeys}), read in the same Redis round trip
 * as the value (one Lua script). A committed write bumps the counters it affects before its reply
 * leaves the gateway, so every instance's next read sees the new version and can no longer reach
 * the old value — in Redis or in any instance's L1. L1 therefore never needs a cross-instance
 * purge to be correct; it saves moving the bytes of hot values. No SCAN or KEYS anywhere.
 *
 * <p>Redis trouble never fails a request: calls are bounded by a timeout, a circuit breaker
 * (vertx-circuit-breaker) stops calling a Redis that keeps failing and probes it again on its own,
 * and meanwhile reads use L1 and PostgreSQL. Invalidations that could not reach Redis are kept and
 * replayed before Redis is trusted again.
 *
 * <p>Thread-safe: shared by the Postgres verticle instances of one gateway.
 */
public final class ResponseCache {
  private static final Logger LOG = Logger.getLogger(ResponseCache.class.getName());

  /**
   * KEYS: version counters; ARGV[1]: value key base; ARGV[2]: the version this gateway's L1 holds.
   * Returns {version} when L1 is current or Redis has no value, else {version, value}: one round
   * trip, and a hot value's bytes cross the wire only when L1 lacks them.
   */
  private static final String READ_SCRIPT = """
      local parts = {}
      for i, k in ipairs(KEYS) do parts[i] = redis.call('GET', k) or '0' end
      local version = table.concat(parts, '.')
      if version == ARGV[2] then return {version} end
      local value = redis.call('GET', ARGV[1] .. '@' .. version)
      if value then return {version, value} end
      return {version}
      """;
  /** KEYS: counters to bump; ARGV[1]: expiry of the per-entity counters; ARGV[2]: how many leading keys never expire. */
  private static final String BUMP_SCRIPT = """
      for i, k in ipairs(KEYS) do
        redis.call('INCR', k)
        if i > tonumber(ARGV[2]) then redis.call('EXPIRE', k, ARGV[1]) end
      end
      return #KEYS
      """;
  /** Entity counters named one by one up to this many ids; beyond it the entity generation is bumped. */
  private static final int MAX_IDS = 1000;

  public record Result(Buffer value, boolean hit) {}

  private record L1Entry(String version, Buffer value, long expiresAtNanos) {}

  private record Scope(String resource, long tenant) {}

  /** The tenant of a pending Scope that stands for a materialized view's refresh (all tenants). */
  private static final long REFRESH_SCOPE = Long.MIN_VALUE;

  private final Vertx vertx;
  private final Catalog catalog;
  private final CacheKeys keys;
  private final Redis redis;
  private final RedisAPI api;
  private final CircuitBreaker breaker;
  private final int timeoutMs;
  private final Cache<String, L1Entry> l1;
  private final Map<String, Future<Buffer>> inflight = new ConcurrentHashMap<>();
  /** Invalidations Redis did not get; replayed before Redis values are used again. */
  private final Set<Scope> pending = ConcurrentHashMap.newKeySet();
  private final CacheMetrics metrics;
  private volatile String readSha;
  private volatile String bumpSha;

  /** @param databaseIdentity names the database incarnation; part of every key */
  public ResponseCache(Vertx vertx, SluiceConfig config, Catalog catalog, MeterRegistry registry, String databaseIdentity) {
    this.vertx = vertx;
    this.catalog = catalog;
    this.keys = new CacheKeys(config.cache().keyPrefix() + databaseIdentity + ":", materializedViews(catalog));
    this.timeoutMs = config.redis().timeoutMs();
    this.redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.redis().url())
        .setMaxPoolSize(config.redis().poolSize())
        .setMaxPoolWaiting(config.redis().maxWaiting())
        .setMaxWaitingHandlers(config.redis().maxWaiting()));
    this.api = RedisAPI.api(redis);
    this.breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
        .setMaxFailures(5)
        .setTimeout(timeoutMs)
        .setResetTimeout(2000)
        .setFallbackOnFailure(false));
    breaker.openHandler(v -> LOG.warning("Redis circuit open: caching continues in L1 only"));
    breaker.halfOpenHandler(v -> LOG.info("Redis circuit half-open: probing"));
    breaker.closeHandler(v -> LOG.info("Redis circuit closed: L2 back"));
    this.l1 = Caffeine.newBuilder().maximumSize(config.cache().l1MaxEntries()).recordStats().build();
    CaffeineCacheMetrics.monitor(registry, l1, "sluice_l1");
    this.metrics = new CacheMetrics(registry);
  }

  public CacheKeys keys() {
    return keys;
  }

  private static Set<String> materializedViews(Catalog catalog) {
    Set<String> out = new java.util.HashSet<>();
    catalog.all().values().forEach(r -> {
      if (r.view() != null) out.add(r.name());
    });
    return out;
  }

  /** The tenant part of keys: the caller's tenant for tenant-scoped resources, 0 for shared ones. */
  public long scope(String resource, long tenant) {
    return catalog.require(resource).tenantScoped() ? tenant : 0L;
  }

  public boolean degraded() {
    return breaker.state() != CircuitBreakerState.CLOSED || !pending.isEmpty();
  }

  /**
   * Returns the cached bytes, or loads them once (single flight, and a short Redis lock across
   * gateways) and stores them. {@code bypass} (Cache-Control: no-cache) goes straight to
   * PostgreSQL and leaves the cache alone: no Redis round trip at all.
   */
  public Future<Result> read(CacheSpec spec, boolean bypass, Supplier<Future<Buffer>> loader) {
    if (bypass || spec.ttlSeconds() <= 0) return loader.get().map(b -> new Result(b, false));
    return replayPending().compose(ok -> ok ? readThrough(spec, loader) : readDegraded(spec, loader));
  }

  private Future<Result> readThrough(CacheSpec spec, Supplier<Future<Buffer>> loader) {
    L1Entry held = l1.getIfPresent(spec.base());
    String heldVersion = held != null && held.expiresAtNanos() - System.nanoTime() > 0 ? held.version() : "";
    long started = System.nanoTime();
    return redisCall(() -> evalRead(spec, heldVersion)).transform(ar -> {
      metrics.time("cache.get", spec, started, ar.failed());
      if (ar.failed()) {
        metrics.error("l2");
        return readDegraded(spec, loader);
      }
      Response r = ar.result();
      String version = r.get(0).toString();
      if (version.equals(heldVersion)) {
        metrics.hit("l1", spec);
        return Future.succeededFuture(new Result(held.value(), true));
      }
      if (r.size() > 1 && r.get(1) != null) {
        Buffer value = r.get(1).toBuffer();
        putL1(spec, version, value);
        metrics.hit("l2", spec);
        return Future.succeededFuture(new Result(value, true));
      }
      metrics.miss(spec);
      String key = spec.base() + "@" + version;
      return singleFlight(key, () -> lockedLoad(spec, key, loader))
          .onSuccess(value -> putL1(spec, version, value))
          .map(value -> new Result(value, false));
    });
  }

  /** Redis unusable: L1 entries from before (kept exact for this gateway's own writes), else PostgreSQL. */
  private Future<Result> readDegraded(CacheSpec spec, Supplier<Future<Buffer>> loader) {
    L1Entry e = l1.getIfPresent(spec.base());
    if (e != null && e.expiresAtNanos() - System.nanoTime() > 0) {
      metrics.hit("l1", spec);
      return Future.succeededFuture(new Result(e.value(), true));
    }
    metrics.miss(spec);
    return singleFlight(spec.base() + "@degraded", loader)
        .onSuccess(value -> putL1(spec, "degraded", value))
        .map(value -> new Result(value, false));
  }

  private Future<Buffer> singleFlight(String key, Supplier<Future<Buffer>> load) {
    Promise<Buffer> mine = Promise.promise();
    Future<Buffer> existing = inflight.putIfAbsent(key, mine.future());
    if (existing != null) return existing;
    Future<Buffer> f;
    try {
      f = load.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> inflight.remove(key, mine.future())).onComplete(mine);
    return mine.future();
  }

  /**
   * Across gateways: the first to take a short lock loads; the others poll for its value for a
   * bounded time and then load themselves, so a lost lock holder never blocks anyone for long.
   */
  private Future<Buffer> lockedLoad(CacheSpec spec, String key, Supplier<Future<Buffer>> loader) {
    String lock = key + ":lock";
    return redisCall(() -> api.set(List.of(lock, "1", "NX", "PX", "1000")))
        .transform(ar -> {
          boolean mine = ar.failed() || ar.result() != null;
          if (mine) {
            return loader.get().compose(value -> {
              long started = System.nanoTime();
              return redisCall(() -> api.set(List.of(key, value.toString(), "EX", String.valueOf(spec.ttlSeconds()))))
                  .transform(x -> {
                    metrics.time("cache.put", spec, started, x.failed());
                    return Future.succeededFuture(value);
                  });
            });
          }
          return pollThenLoad(key, loader, 20);
        });
  }

  private Future<Buffer> pollThenLoad(String key, Supplier<Future<Buffer>> loader, int triesLeft) {
    if (triesLeft == 0) return loader.get();
    Promise<Void> tick = Promise.promise();
    vertx.setTimer(10, t -> tick.complete());
    return tick.future()
        .compose(v -> redisCall(() -> api.get(key)))
        .transform(ar -> ar.succeeded() && ar.result() != null
            ? Future.succeededFuture(ar.result().toBuffer())
            : pollThenLoad(key, loader, triesLeft - 1));
  }

  /**
   * Makes every cached value that depends on these rows unreachable: the resource's pages and
   * counts (its generation) and the named entities (or all of the tenant's, when ids are unknown
   * or too many). Completes when Redis has it — call it after the commit and before replying.
   */
  public Future<Void> invalidate(String resource, long tenant, Collection<?> ids) {
    long t = scope(resource, tenant);
    List<String> bump = new ArrayList<>();
    bump.add(keys.generation(resource, t));
    int permanent = 1;
    if (ids == null || ids.size() > MAX_IDS) {
      bump.add(keys.entityGeneration(resource, t));
      permanent = 2;
    } else {
      for (Object id : ids) bump.add(keys.entityVersion(resource, t, id));
    }
    int ttl = catalog.require(resource).cacheTtlSeconds();
    String expiry = String.valueOf(Math.max(60, 2 * ttl));
    String fixed = String.valueOf(permanent);
    return redisCall(() -> evalBump(bump, expiry, fixed)).transform(ar -> {
      if (ar.failed()) {
        // Redis missed it: remember, and keep this gateway's own L1 exact meanwhile.
        metrics.error("l2");
        pending.add(new Scope(resource, t));
        dropL1(resource, t);
      }
      return Future.succeededFuture();
    });
  }

  /**
   * Makes every cached value read from a materialized view unreachable, for all tenants, on every
   * gateway: bumps the view's refresh generation. Call it after the refresh committed.
   */
  public Future<Void> invalidateRefresh(String resource) {
    return redisCall(() -> evalBump(List.of(keys.refreshGeneration(resource)), "0", "1")).transform(ar -> {
      if (ar.failed()) {
        metrics.error("l2");
        pending.add(new Scope(resource, REFRESH_SCOPE));
        dropL1(resource);
      }
      return Future.succeededFuture();
    });
  }

  /** True when Redis may be used: nothing pending, or everything pending replayed now. */
  private Future<Boolean> replayPending() {
    if (pending.isEmpty()) return Future.succeededFuture(breaker.state() != CircuitBreakerState.OPEN);
    if (breaker.state() == CircuitBreakerState.OPEN) return Future.succeededFuture(false);
    List<Scope> todo = new ArrayList<>(pending);
    List<String> bump = new ArrayList<>();
    for (Scope s : todo) {
      if (s.tenant() == REFRESH_SCOPE) {
        bump.add(keys.refreshGeneration(s.resource()));
        continue;
      }
      bump.add(keys.generation(s.resource(), s.tenant()));
      bump.add(keys.entityGeneration(s.resource(), s.tenant()));
    }
    return redisCall(() -> evalBump(bump, "0", String.valueOf(bump.size())))
        .map(r -> {
          todo.forEach(pending::remove);
          LOG.info("replayed " + todo.size() + " invalidation(s) that Redis missed");
          return true;
        })
        .otherwise(false);
  }

  /** Every tenant's L1 values of a resource (a materialized view refreshed while Redis was away). */
  private void dropL1(String resource) {
    String marker = ":" + resource + ":";
    l1.asMap().keySet().removeIf(k -> k.contains(marker));
  }

  private void dropL1(String resource, long tenant) {
    String marker = ":" + resource + ":" + tenant + ":";
    l1.asMap().keySet().removeIf(k -> k.contains(marker));
  }

  private void putL1(CacheSpec spec, String version, Buffer value) {
    l1.put(spec.base(), new L1Entry(version, value, System.nanoTime() + TimeUnit.SECONDS.toNanos(spec.ttlSeconds())));
  }

  private Future<Response> evalRead(CacheSpec spec, String heldVersion) {
    List<String> args = new ArrayList<>(spec.versionKeys().size() + 4);
    args.add(null);
    args.add(String.valueOf(spec.versionKeys().size()));
    args.addAll(spec.versionKeys());
    args.add(spec.base());
    args.add(heldVersion);
    return evalCached(READ_SCRIPT, true, args);
  }

  private Future<Response> evalBump(List<String> counters, String expiry, String permanent) {
    List<String> args = new ArrayList<>(counters.size() + 4);
    args.add(null);
    args.add(String.valueOf(counters.size()));
    args.addAll(counters);
    args.add(expiry);
    args.add(permanent);
    return evalCached(BUMP_SCRIPT, false, args);
  }

  /** EVALSHA with the script's digest; loads the script when Redis does not know it (after a restart). */
  private Future<Response> evalCached(String script, boolean read, List<String> args) {
    String sha = read ? readSha : bumpSha;
    if (sha != null) {
      List<String> withSha = new ArrayList<>(args);
      withSha.set(0, sha);
      return api.evalsha(withSha).recover(err -> err.getMessage() != null && err.getMessage().startsWith("NOSCRIPT")
          ? loadAndEval(script, read, args) : Future.failedFuture(err));
    }
    return loadAndEval(script, read, args);
  }

  private Future<Response> loadAndEval(String script, boolean read, List<String> args) {
    return api.script(List.of("LOAD", script)).compose(r -> {
      String sha = r.toString();
      if (read) readSha = sha;
      else bumpSha = sha;
      List<String> withSha = new ArrayList<>(args);
      withSha.set(0, sha);
      return api.evalsha(withSha);
    });
  }

  private <T> Future<T> redisCall(Supplier<Future<T>> call) {
    return breaker.execute(() -> call.get().timeout(timeoutMs, TimeUnit.MILLISECONDS));
  }

  /** A raw value for event-bus consumers, namespaced by tenant: L1, then Redis; null when absent. */
  public Future<String> getRaw(long tenant, String key) {
    String k = keys.raw(tenant, key);
    L1Entry e = l1.getIfPresent(k);
    if (e != null && e.expiresAtNanos() - System.nanoTime() > 0) return Future.succeededFuture(e.value().toString());
    return redisCall(() -> api.get(k)).map(r -> r == null ? null : r.toString()).otherwise((String) null);
  }

  public Future<Void> putRaw(long tenant, String key, String value, int ttlSeconds) {
    String k = keys.raw(tenant, key);
    l1.put(k, new L1Entry("raw", Buffer.buffer(value), System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds)));
    return redisCall(() -> api.set(List.of(k, value, "EX", String.valueOf(Math.max(1, ttlSeconds))))).<Void>mapEmpty()
        .otherwise((Void) null);
  }

  public Future<Void> deleteRaw(long tenant, String key) {
    String k = keys.raw(tenant, key);
    l1.invalidate(k);
    return redisCall(() -> api.del(List.of(k))).<Void>mapEmpty().otherwise((Void) null);
  }

  /** PING through the breaker: readiness reports Redis down (degraded) while the circuit is open. */
  public Future<Boolean> ping() {
    return redisCall(() -> api.ping(List.of())).map(r -> !degraded()).otherwise(false);
  }

  public void close() {
    redis.close();
  }
}
