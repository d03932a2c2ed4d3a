package dev.sluice.ratelimit;

import dev.sluice.config.RateLimitSettings.Limit;
import io.vertx.core.Future;

import java.util.function.Supplier;

/**
 * This node's side of one shared token bucket (one limit, one key or tenant). Tokens leased from
 * Redis are spent here without a round trip; only a request that finds the lease empty waits for
 * the next lease, which concurrent requests share. While Redis is unreachable a local bucket with
 * the limit's full capacity and rate decides instead. Synchronized: the HTTP verticles of a
 * gateway, on different event loops, share the bucket; each call holds the lock for a few field updates.
 */
final class Bucket {
  final Limit limit;
  final String redisKey;
  /** Tokens asked per lease: at most a tenth of the bucket, so one node cannot hold most of it. */
  final int block;
  private final long leaseTtlNanos;
  private final double perNano;

  private int leased;
  private long leaseExpiresAt;
  /** What the shared bucket had left after the last lease, and when it will be full again. */
  private long sharedRemaining;
  private long fullAt;
  /** The shared bucket had no token for us: refuse locally until then, without asking Redis again. */
  private long emptyUntil;
  private Future<Lease> leasing;

  private double localTokens;
  private long localAt;

  Bucket(Limit limit, String redisKey, int leaseMax, int leaseTtlMs, long now) {
    this.limit = limit;
    this.redisKey = redisKey;
    this.block = Math.max(1, Math.min(leaseMax, limit.capacity() / 10));
    this.leaseTtlNanos = leaseTtlMs * 1_000_000L;
    this.perNano = limit.perSecond() / 1e9;
    this.sharedRemaining = limit.capacity();
    this.localTokens = limit.capacity();
    this.localAt = now;
  }

  /** Spends a leased token; a refusal while the shared bucket is known empty; null when a lease is needed. */
  synchronized Decision spendLeased(long now) {
    if (leased > 0 && now - leaseExpiresAt < 0) {
      leased--;
      return new Decision(limit, true, sharedRemaining + leased, Decision.seconds(fullAt - now), 0);
    }
    leased = 0;
    if (now - emptyUntil < 0) return refused(emptyUntil - now, fullAt - now);
    return null;
  }

  /** The shared lease, started by the first request that needs one and awaited by the others. */
  synchronized Future<Lease> lease(Supplier<Future<Lease>> call) {
    if (leasing == null) {
      Future<Lease> f = call.get();
      if (f.isComplete()) return f;
      leasing = f;
      f.onComplete(ar -> {
        synchronized (this) {
          leasing = null;
        }
      });
    }
    return leasing;
  }

  /** Takes in what Redis granted. */
  synchronized void leased(Lease lease, long now) {
    leased += lease.granted();
    leaseExpiresAt = now + leaseTtlNanos;
    sharedRemaining = lease.remaining();
    fullAt = now + lease.fullMs() * 1_000_000L;
    if (lease.granted() == 0) emptyUntil = now + Math.max(1, lease.waitMs()) * 1_000_000L;
  }

  /** The fallback while Redis is unreachable: this node alone enforces the limit. */
  synchronized Decision spendLocal(long now) {
    localTokens = Math.min(limit.capacity(), localTokens + (now - localAt) * perNano);
    localAt = now;
    if (localTokens >= 1) {
      localTokens -= 1;
      return new Decision(limit, true, (long) localTokens, Decision.seconds((long) ((limit.capacity() - localTokens) / perNano)), 0);
    }
    return refused((long) ((1 - localTokens) / perNano), (long) ((limit.capacity() - localTokens) / perNano));
  }

  /** A refusal: a token is back in {@code waitNanos}, the bucket full in {@code resetNanos}. */
  Decision refused(long waitNanos, long resetNanos) {
    return new Decision(limit, false, 0, Decision.seconds(resetNanos), Math.max(1, Decision.seconds(waitNanos)));
  }

  /** One answer of the Redis script: tokens granted to this node, and the shared bucket's state after. */
  record Lease(long granted, long remaining, long waitMs, long fullMs) {}
}
