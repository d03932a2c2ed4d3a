package dev.sluice.http;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.JwtAuthenticator;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.error.ApiError;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Resolves the caller's bearer credential into a {@link Principal} (401 without one) and checks roles (403).
 * An API key is a map lookup; a credential shaped like a JWT, when JWTs are enabled, is verified by
 * {@link JwtAuthenticator}.
 */
final class Auth {
  private static final String PRINCIPAL = "sluice.principal";

  private Auth() {}

  /** @param jwt null when JWTs are not enabled */
  static Handler<RoutingContext> authenticate(ApiKeys keys, JwtAuthenticator jwt) {
    return ctx -> {
      String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
      Principal p = keys.fromAuthorizationHeader(header).orElse(null);
      if (p != null) {
        ctx.put(PRINCIPAL, p);
        ctx.next();
        return;
      }
      String token = header == null || header.length() < 8 ? null : header.substring(7).trim();
      if (jwt == null || token == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)
          || !JwtAuthenticator.looksLikeJwt(token)) {
        ctx.fail(ApiError.unauthorized());
        return;
      }
      Deferred.then(ctx, jwt.authenticate(token), Auth::finish);
    };
  }

  private static void finish(RoutingContext ctx, AsyncResult<Principal> ar) {
    if (ar.failed()) {
      ctx.fail(ar.cause() instanceof ApiError e ? e : ApiError.unauthorized());
      return;
    }
    ctx.put(PRINCIPAL, ar.result());
    ctx.next();
  }

  static Handler<RoutingContext> require(Role role) {
    return ctx -> {
      Principal p = principal(ctx);
      if (!p.role().allows(role)) {
        ctx.fail(ApiError.forbidden("This key's role (" + p.role().name().toLowerCase() + ") may not do this; it needs "
            + role.name().toLowerCase() + "."));
        return;
      }
      ctx.next();
    };
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }
}
