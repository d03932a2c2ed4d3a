package dev.sluice.http;

import dev.sluice.auth.JwtAuthenticator;
import dev.sluice.config.JwtSettings;
import dev.sluice.config.RateLimitSettings;
import dev.sluice.config.SluiceConfig;
import dev.sluice.ratelimit.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What the HTTP verticles of one gateway share to admit a request: the JWT verifier (null when JWTs
 * are off) and the rate limiter (null when no limit is on). One per gateway, so every event loop
 * spends the same leases and sees the same keys.
 */
public record AccessControl(JwtAuthenticator jwt, RateLimiter limiter) {

  public static Future<AccessControl> start(Vertx vertx, SluiceConfig config, MeterRegistry registry) {
    JwtSettings jwt = JwtSettings.from(config);
    RateLimitSettings limits = RateLimitSettings.from(config);
    RateLimiter limiter = limits.active()
        ? new RateLimiter(vertx, limits, config.redis().url(), config.redis().timeoutMs(),
        config.cache().keyPrefix(), registry) : null;
    Future<JwtAuthenticator> verifier = jwt.enabled() ? JwtAuthenticator.start(vertx, jwt) : Future.succeededFuture();
    return verifier.map(v -> new AccessControl(v, limiter)).onFailure(err -> {
      if (limiter != null) limiter.close();
    });
  }

  public void close() {
    if (jwt != null) jwt.close();
    if (limiter != null) limiter.close();
  }
}
