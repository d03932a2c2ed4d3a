package dev.sluice.changes;

import dev.sluice.auth.Principal;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Consumer;

/**
 * {@code GET /v1/{resource}/changes}: the change feed as Server-Sent Events, scoped to the caller's
 * tenant, resumable with {@code Last-Event-ID} within the node's buffer, with a comment line every
 * 15 s so idle proxies keep the stream open. A client that does not read fast enough to keep the
 * response's write queue below its bound is disconnected rather than buffered for without limit;
 * it resumes with Last-Event-ID like after any other drop.
 */
public final class ChangeStream {
  private static final long HEARTBEAT_MS = 15_000;

  private ChangeStream() {}

  public static Handler<RoutingContext> handler(Vertx vertx, Catalog catalog, ChangeFeed feed,
                                                java.util.function.Function<RoutingContext, Principal> principal) {
    return ctx -> {
      Resource resource = catalog.require(ctx.pathParam("resource"));
      long tenant = resource.tenantScoped() ? principal.apply(ctx).tenant() : 0L;
      HttpServerResponse res = ctx.response();
      res.setChunked(true)
          .putHeader("Content-Type", "text/event-stream")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      Context context = vertx.getOrCreateContext();
      Consumer<ChangeFeed.Event> live = e -> {
        if (e.tenant() == tenant) context.runOnContext(v -> write(res, e));
      };
      ChangeFeed.Backlog backlog = feed.subscribe(resource.name(), ctx.request().getHeader("Last-Event-ID"), live);
      res.write(": sluice change feed for " + resource.name() + "\n\n");
      if (backlog.reset()) res.write("event: reset\ndata: {\"reason\":\"position not in this node's buffer\"}\n\n");
      for (ChangeFeed.Event e : backlog.events()) if (e.tenant() == tenant) write(res, e);
      long heartbeat = vertx.setPeriodic(HEARTBEAT_MS, t -> {
        if (!res.ended() && !res.closed()) res.write(": keep-alive\n\n");
      });
      res.closeHandler(v -> {
        vertx.cancelTimer(heartbeat);
        feed.unsubscribe(resource.name(), live);
      });
    };
  }

  private static void write(HttpServerResponse res, ChangeFeed.Event e) {
    if (res.ended() || res.closed()) return;
    if (res.writeQueueFull()) {
      res.reset(); // closes the connection: the close handler unsubscribes
      return;
    }
    res.write("id: " + e.id() + "\nevent: change\ndata: " + e.json() + "\n\n");
  }
}
