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

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Cache-aside for read responses: a bounded Caffeine L1 per gateway in front of Redis (L2),
 * values stored as the exact response bytes.
 *
 * <p><b>A hit costs no network round trip.</b> Exactness comes from versions. In Redis every value
 * key ends in the current values of the counters it depends on (see {@link CacheKeys}); a committed
 * write bumps those counters before its reply leaves the gateway, so no node can fetch an old value
 * from Redis afterwards. In memory the same counters are mirrored as local bump sequences
 * ({@link LocalVersions}): the write bumps them on this node right after Redis has them (still
 * before the reply) and publishes the bump on {@link #BUMPED} for the other nodes. An L1 entry
 * remembers the local sequence at which its load started and is served only while none of its
 * counters has been bumped since, so on the writer's node a read after the reply never sees the
 * old value, and elsewhere only for the broadcast's delivery time.
 *
 * <p>An entry is also re-checked against Redis (one EVALSHA that returns only the version when it
 * is unchanged) once it is older than {@code cache.l1MaxAgeMs}. That bounds what a lost broadcast
 * can cost, and while Redis is unreachable such entries are not served at all: the read goes to
 * PostgreSQL.
 *
 * <p>A miss costs one round trip before the load: the read script also takes the loading lock
 * when Redis has no value, so no separate lock call is made. The value is stored (and the lock
 * released, also after a failed load) after the reply has been given.
 *
 * <p>Redis trouble never fails a request: calls are bounded by the circuit breaker's timeout (one
 * timer per call), the breaker (vertx-circuit-breaker) stops calling a Redis that keeps failing
 * and probes it again on its own, and meanwhile reads use L1 and PostgreSQL. Invalidations that
 * could not reach Redis are kept and replayed before Redis values are trusted again.
 *
 * <p>Thread-safe: shared by the Postgres verticle instances of one gateway.
 */
public final class ResponseCache {
  private static final Logger LOG = Logger.getLogger(ResponseCache.class.getName());
  /** Published after every local bump: {node, resource, scope, ids|null, at (epoch µs)}. */
  public static final String BUMPED = "sluice.cache.bumped";

  /**
   * KEYS: version counters; ARGV[1]: value key base; ARGV[2]: the version this gateway's L1 holds;
   * ARGV[3]: lock expiry (ms). Returns {version} when L1 is current; {version, value} when Redis
   * has the value; else {version, '', 1|0}: whether this caller took the loading lock.
   */
  private static final String READ_SCRIPT = """
      local parts = {}
      for i, k in ipairs(KEYS) do parts[i] = redis.call('GET', k) or '0' end
      local version = table.concat(parts, '.')
      if version == ARGV[2] then return {version} end
      local key = ARGV[1] .. '@' .. version
      local value = redis.call('GET', key)
      if value then return {version, value} end
      if redis.call('SET', key .. ':lock', '1', 'NX', 'PX', ARGV[3]) then return {version, '', 1} end
      return {version, '', 0}
      """;
  /** KEYS[1]: value key, KEYS[2]: its lock; ARGV[1]: value ('' = none, the load failed); ARGV[2]: ttl s. */
  private static final String STORE_SCRIPT = """
      if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
      redis.call('DEL', KEYS[2])
      return 1
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
  private static final int LOCK_MS = 1000;

  public record Result(Buffer value, boolean hit) {}

  /** A cached response. {@code checkedAt} moves forward each time Redis confirms the version. */
  private static final class L1Entry {
    final String version;
    final Buffer value;
    final long loadedAtSeq;
    final long expiresAtNanos;
    volatile long checkedAtNanos;

    L1Entry(String version, Buffer value, long loadedAtSeq, long expiresAtNanos, long checkedAtNanos) {
      this.version = version;
      this.value = value;
      this.loadedAtSeq = loadedAtSeq;
      this.expiresAtNanos = expiresAtNanos;
      this.checkedAtNanos = checkedAtNanos;
    }
  }

  private record Scope(String resource, long tenant) {}

  /** The tenant of a pending Scope that stands for a materialized view's refresh (all tenants). */
  private static final long REFRESH_SCOPE = Long.MIN_VALUE;

  private final Vertx vertx;
  private final Catalog catalog;
  private final CacheKeys keys;
  private final Redis redis;
  private final RedisAPI api;
  private final CircuitBreaker breaker;
  private final Cache<String, L1Entry> l1;
  private final LocalVersions local;
  private final long maxAgeNanos;
  private final String node = UUID.randomUUID().toString();
  private final Map<String, Future<Buffer>> inflight = new ConcurrentHashMap<>();
  /** Invalidations Redis did not get; replayed before Redis values are used again. */
  private final Set<Scope> pending = ConcurrentHashMap.newKeySet();
  private final CacheMetrics metrics;
  private volatile String readSha;
  private volatile String bumpSha;
  private volatile String storeSha;

  /** @param databaseIdentity names the database incarnation; part of every key */
  public ResponseCache(Vertx vertx, SluiceConfig config, Catalog catalog, MeterRegistry registry, String databaseIdentity) {
    this.vertx = vertx;
    this.catalog = catalog;
    this.keys = new CacheKeys(config.cache().keyPrefix() + databaseIdentity + ":", materializedViews(catalog));
    this.redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.redis().url())
        .setMaxPoolSize(config.redis().poolSize())
        .setMaxPoolWaiting(config.redis().maxWaiting())
        .setMaxWaitingHandlers(config.redis().maxWaiting()));
    this.api = RedisAPI.api(redis);
    // The breaker's timeout is the only timer of a Redis call.
    this.breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
        .setMaxFailures(5)
        .setTimeout(config.redis().timeoutMs())
        .setResetTimeout(2000)
        .setFallbackOnFailure(false));
    breaker.openHandler(v -> LOG.warning("Redis circuit open: caching continues in L1 only"));
    breaker.halfOpenHandler(v -> LOG.info("Redis circuit half-open: probing"));
    breaker.closeHandler(v -> LOG.info("Redis circuit closed: L2 back"));
    this.l1 = Caffeine.newBuilder().maximumSize(config.cache().l1MaxEntries()).recordStats().build();
    CaffeineCacheMetrics.monitor(registry, l1, "sluice_l1");
    // Bump records of 4 x the L1 size: an entry whose counters' records were all evicted is dropped.
    this.local = new LocalVersions(Math.max(1024L, 4L * config.cache().l1MaxEntries()));
    this.maxAgeNanos = TimeUnit.MILLISECONDS.toNanos(config.cache().l1MaxAgeMs());
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
   * Returns the cached bytes, or loads them once (single flight, and a Redis lock across gateways)
   * and stores them. {@code bypass} (Cache-Control: no-cache) goes straight to PostgreSQL and leaves
   * the cache alone: no Redis round trip at all.
   */
  public Future<Result> read(CacheSpec spec, boolean bypass, Supplier<Future<Buffer>> loader) {
    if (bypass || spec.ttlSeconds() <= 0) return loader.get().map(b -> new Result(b, false));
    long now = System.nanoTime();
    L1Entry held = current(spec, now);
    if (held != null && now - held.checkedAtNanos < maxAgeNanos) {
      metrics.hit("l1", spec);
      return Future.succeededFuture(new Result(held.value, true));
    }
    return replayPending().compose(ok -> ok ? readThrough(spec, held, loader) : readDegraded(spec, loader));
  }

  /** The L1 entry of this spec if it is neither expired nor older than a bump of its counters. */
  private L1Entry current(CacheSpec spec, long now) {
    L1Entry e = l1.getIfPresent(spec.base());
    if (e == null || e.expiresAtNanos - now <= 0 || local.bumpedSince(spec.versionKeys(), e.loadedAtSeq)) return null;
    return e;
  }

  private Future<Result> readThrough(CacheSpec spec, L1Entry held, Supplier<Future<Buffer>> loader) {
    String heldVersion = held == null ? "" : held.version;
    long seq = local.sequence(); // before Redis and the database are read: see LocalVersions
    long started = System.nanoTime();
    return redisCall(() -> eval(READ_SCRIPT, evalArgs(spec, heldVersion))).transform(ar -> {
      metrics.time("cache.get", spec, started, ar.failed());
      if (ar.failed()) {
        metrics.error("l2");
        return readDegraded(spec, loader);
      }
      Response r = ar.result();
      String version = r.get(0).toString();
      if (r.size() == 1) { // L1 holds the current version: it is good for another max age
        held.checkedAtNanos = System.nanoTime();
        metrics.hit("l1", spec);
        return Future.succeededFuture(new Result(held.value, true));
      }
      if (r.size() == 2) {
        Buffer value = r.get(1).toBuffer();
        putL1(spec, version, value, seq);
        metrics.hit("l2", spec);
        return Future.succeededFuture(new Result(value, true));
      }
      metrics.miss(spec);
      String key = spec.base() + "@" + version;
      boolean locked = r.get(2).toInteger() == 1;
      return singleFlight(key, () -> locked ? loadAndStore(spec, key, loader) : pollThenLoad(key, loader, 20))
          .onSuccess(value -> putL1(spec, version, value, seq))
          .map(value -> new Result(value, false));
    });
  }

  /**
   * Redis unusable: L1 entries checked within the max age (and kept exact for this gateway's own
   * writes by the local versions), else PostgreSQL.
   */
  private Future<Result> readDegraded(CacheSpec spec, Supplier<Future<Buffer>> loader) {
    long now = System.nanoTime();
    L1Entry e = current(spec, now);
    if (e != null && now - e.checkedAtNanos < maxAgeNanos) {
      metrics.hit("l1", spec);
      return Future.succeededFuture(new Result(e.value, true));
    }
    metrics.miss(spec);
    long seq = local.sequence();
    return singleFlight(spec.base() + "@degraded", loader)
        .onSuccess(value -> putL1(spec, "degraded", value, seq))
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
   * This gateway holds the loading lock: load, reply at once, and store the value and release the
   * lock afterwards in one call (a failed load just releases it, so others load without waiting).
   */
  private Future<Buffer> loadAndStore(CacheSpec spec, String key, Supplier<Future<Buffer>> loader) {
    Future<Buffer> loaded;
    try {
      loaded = loader.get();
    } catch (RuntimeException e) {
      loaded = Future.failedFuture(e);
    }
    return loaded.onComplete(ar -> {
      long started = System.nanoTime();
      String value = ar.succeeded() ? ar.result().toString() : "";
      List<String> args = List.of("", "2", key, key + ":lock", value, String.valueOf(spec.ttlSeconds()));
      redisCall(() -> eval(STORE_SCRIPT, args)).onComplete(x -> {
        metrics.time("cache.put", spec, started, x.failed());
        if (x.failed()) metrics.error("l2");
      });
    });
  }

  /**
   * Another gateway is loading this value: poll for it for a bounded time, then load without
   * storing, so a lost lock holder never blocks anyone for long.
   */
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
   * or too many). Redis first, then this node's L1 (so no load that starts in between can bring an
   * old value back from Redis), then the broadcast to the other nodes. Completes when this node
   * has it — call it after the commit and before replying.
   */
  public Future<Void> invalidate(String resource, long tenant, Collection<?> ids) {
    long t = scope(resource, tenant);
    List<String> bump = bumpKeys(resource, t, ids);
    int permanent = ids == null || ids.size() > MAX_IDS ? 2 : 1;
    int ttl = catalog.require(resource).cacheTtlSeconds();
    List<String> args = new ArrayList<>(bump.size() + 4);
    args.add("");
    args.add(String.valueOf(bump.size()));
    args.addAll(bump);
    args.add(String.valueOf(Math.max(60, 2 * ttl)));
    args.add(String.valueOf(permanent));
    return redisCall(() -> eval(BUMP_SCRIPT, args)).transform(ar -> {
      if (ar.failed()) {
        // Redis missed it: remember it; this node's L1 stays exact through the local bump below.
        metrics.error("l2");
        pending.add(new Scope(resource, t));
      }
      local.bump(bump);
      vertx.eventBus().publish(BUMPED, new JsonObject().put("node", node).put("resource", resource).put("scope", t)
          .put("ids", ids == null || ids.size() > MAX_IDS ? null : new JsonArray(new ArrayList<>(ids)))
          .put("at", epochMicros()));
      return Future.succeededFuture();
    });
  }

  /**
   * Makes every cached value read from a materialized view unreachable, for all tenants, on every
   * gateway: bumps the view's refresh generation (Redis, then this node, then the broadcast). Call
   * it after the refresh committed.
   */
  public Future<Void> invalidateRefresh(String resource) {
    List<String> bump = List.of(keys.refreshGeneration(resource));
    List<String> args = List.of("", "1", bump.get(0), "0", "1");
    return redisCall(() -> eval(BUMP_SCRIPT, args)).transform(ar -> {
      if (ar.failed()) {
        metrics.error("l2");
        pending.add(new Scope(resource, REFRESH_SCOPE));
      }
      local.bump(bump);
      vertx.eventBus().publish(BUMPED, new JsonObject().put("node", node).put("resource", resource)
          .put("refresh", true).put("at", epochMicros()));
      return Future.succeededFuture();
    });
  }

  /**
   * Another node's write, as broadcast on {@link #BUMPED}: bump the same counters here. Redis was
   * bumped by the writer already. The delay from the writer's bump to here is the window in which
   * this node could still serve the old value; it is recorded as sluice_cache_invalidation_delivery.
   */
  public void applyRemote(JsonObject bumped) {
    if (node.equals(bumped.getString("node"))) return;
    String resource = bumped.getString("resource");
    if (resource == null || !catalog.all().containsKey(resource)) return;
    JsonArray ids = bumped.getJsonArray("ids");
    local.bump(bumped.getBoolean("refresh", false) ? List.of(keys.refreshGeneration(resource))
        : bumpKeys(resource, bumped.getLong("scope", 0L), ids == null ? null : ids.getList()));
    Long at = bumped.getLong("at");
    if (at != null) metrics.delivery(Math.max(0, epochMicros() - at));
  }

  private List<String> bumpKeys(String resource, long scope, Collection<?> ids) {
    List<String> bump = new ArrayList<>();
    bump.add(keys.generation(resource, scope));
    if (ids == null || ids.size() > MAX_IDS) {
      bump.add(keys.entityGeneration(resource, scope));
    } else {
      for (Object id : ids) bump.add(keys.entityVersion(resource, scope, id));
    }
    return bump;
  }

  private static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
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
    List<String> args = new ArrayList<>(bump.size() + 4);
    args.add("");
    args.add(String.valueOf(bump.size()));
    args.addAll(bump);
    args.add("0");
    args.add(String.valueOf(bump.size()));
    return redisCall(() -> eval(BUMP_SCRIPT, args))
        .map(r -> {
          todo.forEach(pending::remove);
          LOG.info("replayed " + todo.size() + " invalidation(s) that Redis missed");
          return true;
        })
        .otherwise(false);
  }

  private void putL1(CacheSpec spec, String version, Buffer value, long loadedAtSeq) {
    long now = System.nanoTime();
    l1.put(spec.base(), new L1Entry(version, value, loadedAtSeq, now + TimeUnit.SECONDS.toNanos(spec.ttlSeconds()), now));
  }

  /** [sha placeholder, key count, keys..., base, held version, lock ms] for the read script. */
  private static List<String> evalArgs(CacheSpec spec, String heldVersion) {
    List<String> args = new ArrayList<>(spec.versionKeys().size() + 5);
    args.add("");
    args.add(String.valueOf(spec.versionKeys().size()));
    args.addAll(spec.versionKeys());
    args.add(spec.base());
    args.add(heldVersion);
    args.add(String.valueOf(LOCK_MS));
    return args;
  }

  /**
   * EVALSHA of one of the scripts ({@code args[0]} is replaced by its digest); loads the script
   * when Redis does not know it (first use, or after a Redis restart).
   */
  private Future<Response> eval(String script, List<String> args) {
    String sha = sha(script);
    if (sha != null) {
      return api.evalsha(withSha(args, sha)).recover(err -> err.getMessage() != null && err.getMessage().startsWith("NOSCRIPT")
          ? loadAndEval(script, args) : Future.failedFuture(err));
    }
    return loadAndEval(script, args);
  }

  private Future<Response> loadAndEval(String script, List<String> args) {
    return api.script(List.of("LOAD", script)).compose(r -> {
      String sha = r.toString();
      if (script == READ_SCRIPT) readSha = sha;
      else if (script == BUMP_SCRIPT) bumpSha = sha;
      else storeSha = sha;
      return api.evalsha(withSha(args, sha));
    });
  }

  private String sha(String script) {
    return script == READ_SCRIPT ? readSha : script == BUMP_SCRIPT ? bumpSha : storeSha;
  }

  private static List<String> withSha(List<String> args, String sha) {
    List<String> withSha = new ArrayList<>(args);
    withSha.set(0, sha);
    return withSha;
  }

  private <T> Future<T> redisCall(Supplier<Future<T>> call) {
    return breaker.execute(call);
  }

  /** A raw value for event-bus consumers, namespaced by tenant: L1, then Redis; null when absent. */
  public Future<String> getRaw(long tenant, String key) {
    String k = keys.raw(tenant, key);
    L1Entry e = l1.getIfPresent(k);
    if (e != null && e.expiresAtNanos - System.nanoTime() > 0) return Future.succeededFuture(e.value.toString());
    return redisCall(() -> api.get(k)).map(r -> r == null ? null : r.toString()).otherwise((String) null);
  }

  public Future<Void> putRaw(long tenant, String key, String value, int ttlSeconds) {
    String k = keys.raw(tenant, key);
    long now = System.nanoTime();
    l1.put(k, new L1Entry("raw", Buffer.buffer(value), 0, now + TimeUnit.SECONDS.toNanos(ttlSeconds), now));
    return redisCall(() -> api.set(List.of(k, value, "EX", String.valueOf(Math.max(1, ttlSeconds))))).<Void>mapEmpty()
        .otherwise((Void) null);
  }

  /** PING through the breaker: readiness reports Redis down (degraded) while the circuit is open. */
  public Future<Boolean> ping() {
    return redisCall(() -> api.ping(List.of())).map(r -> !degraded()).otherwise(false);
  }

  public void close() {
    redis.close();
  }
}
