package dev.sluice.http;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.error.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/** Resolves the caller's API key into a {@link Principal} (401 without one) and checks roles (403). */
final class Auth {
  private static final String PRINCIPAL = "sluice.principal";

  private Auth() {}

  static Handler<RoutingContext> authenticate(ApiKeys keys) {
    return ctx -> {
      Principal p = keys.fromAuthorizationHeader(ctx.request().getHeader(HttpHeaders.AUTHORIZATION)).orElse(null);
      if (p == null) {
        ctx.fail(ApiError.unauthorized());
        return;
      }
      ctx.put(PRINCIPAL, p);
      ctx.next();
    };
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
