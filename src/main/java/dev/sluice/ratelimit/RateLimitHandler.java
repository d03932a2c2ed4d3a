package dev.sluice.ratelimit;

import dev.sluice.auth.Principal;
import dev.sluice.error.ApiError;
import dev.sluice.http.Deferred;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/**
 * Applies the rate limits after authentication: an allowed request goes on with the
 * RateLimit-Limit, -Remaining and -Reset headers of its strictest limit (IETF httpapi draft
 * names; on 2xx responses too); a refused one gets 429, Retry-After and the JSON error.
 * Requests no limit applies to pass untouched.
 */
public final class RateLimitHandler implements Handler<RoutingContext> {
  static final CharSequence LIMIT = HttpHeaders.createOptimized("RateLimit-Limit");
  static final CharSequence REMAINING = HttpHeaders.createOptimized("RateLimit-Remaining");
  static final CharSequence RESET = HttpHeaders.createOptimized("RateLimit-Reset");
  static final CharSequence RETRY_AFTER = HttpHeaders.createOptimized("Retry-After");

  private final RateLimiter limiter;
  private final Function<RoutingContext, Principal> principal;

  public RateLimitHandler(RateLimiter limiter, Function<RoutingContext, Principal> principal) {
    this.limiter = limiter;
    this.principal = principal;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Principal p = principal.apply(ctx);
    Future<Decision> decision = p == null ? null : limiter.check(p, ctx.normalizedPath());
    if (decision == null) ctx.next();
    else Deferred.then(ctx, decision, RateLimitHandler::apply);
  }

  private static void apply(RoutingContext ctx, AsyncResult<Decision> ar) {
    if (ar.failed()) {
      ctx.fail(ar.cause());
      return;
    }
    Decision d = ar.result();
    HttpServerResponse res = ctx.response();
    res.putHeader(LIMIT, String.valueOf(d.limit().capacity()))
        .putHeader(REMAINING, String.valueOf(d.remaining()))
        .putHeader(RESET, String.valueOf(d.resetSeconds()));
    if (d.allowed()) {
      ctx.next();
      return;
    }
    res.putHeader(RETRY_AFTER, String.valueOf(d.retryAfterSeconds()));
    ctx.fail(new ApiError(429, "rate_limited", "Too many requests: the limit '" + d.limit().name() + "' allows "
        + d.limit().capacity() + " at once and " + d.limit().perSecond() + " per second; retry after "
        + d.retryAfterSeconds() + " s.", new JsonObject().put("limit", d.limit().name())
        .put("retryAfterSeconds", d.retryAfterSeconds())));
  }

}
