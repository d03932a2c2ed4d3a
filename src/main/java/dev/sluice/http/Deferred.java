package dev.sluice.http;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.util.function.BiConsumer;

/**
 * Continues a request after a step that is usually done at once but may have to wait (a JWT key
 * reload, a rate-limit lease from Redis). While it waits the request is paused, so a BodyHandler
 * later in the chain still gets the body, and the request goes on on its own event loop, whichever
 * thread completed the step.
 */
public final class Deferred {
  private Deferred() {}

  public static <T> void then(RoutingContext ctx, Future<T> step, BiConsumer<RoutingContext, AsyncResult<T>> next) {
    if (step.isComplete()) {
      next.accept(ctx, step);
      return;
    }
    Context here = Vertx.currentContext();
    ctx.request().pause();
    step.onComplete(ar -> here.runOnContext(v -> {
      ctx.request().resume();
      next.accept(ctx, ar);
    }));
  }
}
