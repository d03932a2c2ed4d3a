package dev.sluice.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.auth.Principal;
import dev.sluice.config.RateLimitSettings;
import dev.sluice.config.RateLimitSettings.Limit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Token-bucket rate limits per key (API key or JWT subject) and per tenant, shared by every gateway
 * through Redis, per {@link RateLimitSettings}.
 *
 * <p>Cost per request: matching the configured limits (a few comparisons) and, for each limit that
 * applies, spending a token this node leased earlier (a map lookup and a synchronized decrement).
 * Redis is asked only when the lease is empty, for a block of tokens at once; so a request whose
 * caller has no limit does no extra work, and a limited caller's requests reach Redis about once
 * per block.
 *
 * <p>Accuracy across nodes: a lease takes its tokens out of the shared bucket when it is granted,
 * so the nodes together never admit more than the bucket holds, except for tokens leased up to
 * leaseTtlMs before and spent after the bucket refilled: at most one block per node. The other way,
 * a node's unspent lease can make another node refuse up to one block early. While Redis is down,
 * each node enforces every limit alone (n nodes admit up to n times the rate) until it is back.
 */
public final class RateLimiter {
  private final RateLimitSettings settings;
  /** Redis keys: the configured prefix (cache.keyPrefix), "rl:", the limit and the key or tenant. */
  private final String keyPrefix;
  private final RedisBuckets redis;
  private final Cache<String, Bucket> buckets;
  private final Map<String, Counter[]> counters = new HashMap<>();

  public RateLimiter(Vertx vertx, RateLimitSettings settings, String redisUrl, int redisTimeoutMs, String keyPrefix,
                     MeterRegistry registry) {
    this.settings = settings;
    this.keyPrefix = keyPrefix + "rl:";
    this.redis = new RedisBuckets(vertx, redisUrl, redisTimeoutMs);
    // Idle buckets are forgotten after a while; the shared state stays in Redis.
    this.buckets = Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build();
    for (Limit l : settings.limits()) {
      counters.put(l.name(), new Counter[] {
          counter(registry, "sluice.ratelimit.requests", l, "outcome", "allowed"),
          counter(registry, "sluice.ratelimit.requests", l, "outcome", "limited"),
          counter(registry, "sluice.ratelimit.leases", l, "source", "redis"),
          counter(registry, "sluice.ratelimit.leases", l, "source", "local")});
    }
  }

  private static Counter counter(MeterRegistry registry, String name, Limit l, String tag, String value) {
    return Counter.builder(name).tag("limit", l.name()).tag(tag, value)
        .description(name.endsWith("requests") ? "Requests a rate limit applied to, by outcome"
            : "Token leases from the shared bucket in Redis, and decisions taken locally while Redis was down")
        .register(registry);
  }

  /**
   * The decision for one request, or null when no limit applies to it. Completes at once unless a
   * lease has to be fetched from Redis.
   *
   * @param path the request's path; a limit on resources matches its {@code /v1/{resource}} segment
   */
  public Future<Decision> check(Principal p, String path) {
    Future<Decision> result = null;
    List<Future<Decision>> several = null;
    for (Limit l : settings.limits()) {
      if (!applies(l, p, path)) continue;
      Future<Decision> d = take(bucket(l, p));
      if (result == null) {
        result = d;
      } else {
        if (several == null) several = new ArrayList<>(List.of(result));
        several.add(d);
      }
    }
    if (several == null) return result;
    return Future.all(several).map(all -> {
      Decision strictest = all.resultAt(0);
      for (int i = 1; i < all.size(); i++) strictest = Decision.stricter(strictest, all.resultAt(i));
      return strictest;
    });
  }

  /** Whether any limit applies to this caller and path (spends nothing; {@link #check} decides). */
  public boolean limits(Principal p, String path) {
    for (Limit l : settings.limits()) {
      if (applies(l, p, path)) return true;
    }
    return false;
  }

  static boolean applies(Limit l, Principal p, String path) {
    return (l.tenants().isEmpty() || l.tenants().contains(p.tenant()))
        && (l.roles().isEmpty() || l.roles().contains(p.role().name().toLowerCase(Locale.ROOT)))
        && (l.resources().isEmpty() || l.resources().contains(resource(path)));
  }

  /** The resource segment of /v1/{resource}/..., or "" for other paths. */
  static String resource(String path) {
    if (!path.startsWith("/v1/")) return "";
    int end = path.indexOf('/', 4);
    return end < 0 ? path.substring(4) : path.substring(4, end);
  }

  private Bucket bucket(Limit l, Principal p) {
    String subject = l.per() == RateLimitSettings.Per.TENANT ? "tenant:" + p.tenant()
        : p.subject() != null ? p.subject() : "tenant:" + p.tenant() + ":" + p.role().name().toLowerCase(Locale.ROOT);
    String key = keyPrefix + l.name() + ":" + subject;
    return buckets.get(key, k -> new Bucket(l, k, settings.leaseMax(), settings.leaseTtlMs(), System.nanoTime()));
  }

  private Future<Decision> take(Bucket b) {
    return take(b, 3);
  }

  /** Spends from the lease, leasing again when it is empty (a bounded number of times under contention). */
  private Future<Decision> take(Bucket b, int attempts) {
    Counter[] c = counters.get(b.limit.name());
    if (!redis.available()) {
      c[3].increment();
      return Future.succeededFuture(count(c, b.spendLocal(System.nanoTime())));
    }
    Decision d = b.spendLeased(System.nanoTime());
    if (d != null) return Future.succeededFuture(count(c, d));
    if (attempts == 0) {
      // Other requests took every token of the leases we waited for: the bucket is as good as empty.
      return Future.succeededFuture(count(c, b.refused(1, 0)));
    }
    return b.lease(() -> redis.lease(b).onSuccess(lease -> {
          b.leased(lease, System.nanoTime());
          c[2].increment();
        }))
        .transform(ar -> {
          if (ar.failed()) {
            c[3].increment();
            return Future.succeededFuture(count(c, b.spendLocal(System.nanoTime())));
          }
          return take(b, attempts - 1);
        });
  }

  private static Decision count(Counter[] c, Decision d) {
    c[d.allowed() ? 0 : 1].increment();
    return d;
  }

  public void close() {
    redis.close();
  }
}
