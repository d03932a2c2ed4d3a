package dev.sluice.ratelimit;

import dev.sluice.config.RateLimitSettings.Limit;

/**
 * One limit's answer for one request: allowed or not, and what the RateLimit-* headers say.
 *
 * @param remaining requests left in the bucket (the shared bucket as last seen plus this node's lease)
 * @param resetSeconds seconds until the bucket is full again
 * @param retryAfterSeconds for a refused request, seconds until a token is back (at least 1)
 */
public record Decision(Limit limit, boolean allowed, long remaining, long resetSeconds, long retryAfterSeconds) {

  /** Of two limits' answers, the one the client must see: a refusal first, else the fewer remaining. */
  static Decision stricter(Decision a, Decision b) {
    if (a.allowed != b.allowed) return a.allowed ? b : a;
    if (!a.allowed) return a.retryAfterSeconds >= b.retryAfterSeconds ? a : b;
    return a.remaining <= b.remaining ? a : b;
  }

  static long seconds(long nanos) {
    return nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
  }
}
