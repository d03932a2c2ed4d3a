package dev.sluice.ratelimit;

import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The shared token buckets in Redis. One Lua script, one round trip per lease: refill the bucket by
 * the time elapsed (Redis's own clock, so every node agrees), take up to the tokens asked for, and
 * return how many were granted with the bucket's state after. Bounded by a timeout and a circuit
 * breaker: while Redis is unreachable the limiter decides locally and does not wait for Redis.
 */
final class RedisBuckets {
  private static final Logger LOG = Logger.getLogger(RedisBuckets.class.getName());

  /**
   * KEYS[1]: the bucket (a hash: tokens, at). ARGV: capacity, tokens per second, tokens asked.
   * Returns {granted, tokens left (floored), ms until one token is back, ms until the bucket is full}.
   * Sent with EVAL (not EVALSHA): it runs once per lease, not per request, and so needs no script cache.
   */
  static final String LEASE_SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local capacity = tonumber(ARGV[1])
      local rate = tonumber(ARGV[2]) / 1000
      local want = tonumber(ARGV[3])
      local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
      local tokens = tonumber(state[1])
      local at = tonumber(state[2])
      if tokens == nil or at == nil then tokens = capacity; at = now end
      if now > at then tokens = math.min(capacity, tokens + (now - at) * rate) else now = at end
      local granted = math.min(want, math.floor(tokens))
      tokens = tokens - granted
      redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
      local full = math.ceil((capacity - tokens) / rate)
      redis.call('PEXPIRE', KEYS[1], full + 1000)
      local wait = 0
      if tokens < 1 then wait = math.ceil((1 - tokens) / rate) end
      return {granted, math.floor(tokens), wait, full}
      """;

  private final Redis redis;
  private final RedisAPI api;
  private final CircuitBreaker breaker;
  private final int timeoutMs;

  RedisBuckets(Vertx vertx, String url, int timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url)
        .setMaxPoolSize(8).setMaxPoolWaiting(512).setMaxWaitingHandlers(512));
    this.api = RedisAPI.api(redis);
    this.breaker = CircuitBreaker.create("redis-rate-limits", vertx, new CircuitBreakerOptions()
        .setMaxFailures(3).setTimeout(timeoutMs).setResetTimeout(2000).setFallbackOnFailure(false));
    breaker.openHandler(v -> LOG.warning("Redis circuit open: rate limits are enforced by each gateway alone"));
    breaker.closeHandler(v -> LOG.info("Redis circuit closed: rate limits are shared again"));
  }

  /** Whether leases may be asked for; false while the circuit is open (Redis considered down). */
  boolean available() {
    return breaker.state() != CircuitBreakerState.OPEN;
  }

  Future<Bucket.Lease> lease(Bucket b) {
    List<String> args = List.of(LEASE_SCRIPT, "1", b.redisKey, String.valueOf(b.limit.capacity()),
        String.valueOf(b.limit.perSecond()), String.valueOf(b.block));
    return breaker.<Response>execute(() -> api.eval(args).timeout(timeoutMs, TimeUnit.MILLISECONDS))
        .map(r -> new Bucket.Lease(r.get(0).toLong(), r.get(1).toLong(), r.get(2).toLong(), r.get(3).toLong()));
  }

  void close() {
    breaker.close();
    redis.close();
  }
}
