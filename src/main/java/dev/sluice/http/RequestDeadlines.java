package dev.sluice.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.TimeUnit;

/**
 * The whole-request time bound ({@code http.requestTimeoutMs}): a request with no response by its
 * deadline fails with {@code status} (504), as vertx-web's {@code TimeoutHandler} does, but without
 * its Vert.x timer per request (a timer set, registered with the context and cancelled for every
 * request: about 3 % of the gateway's CPU on a cached point read, profile of 2026-12-02).
 *
 * <p>Every request gets the same timeout, so deadlines come in arrival order: the pending requests
 * are a list, oldest first; an answered one unlinks itself (O(1)), and one periodic timer per event
 * loop fails the expired ones at the head. A request so fails between its deadline and one tick
 * later (the tick is a 20th of the timeout, 5 ms to 250 ms). One instance per HTTP verticle, used
 * on its event loop only, so nothing is shared between threads. Requests answered before the router
 * ({@link HotReads}) are tracked the same way through {@link #track}.
 */
final class RequestDeadlines implements Handler<RoutingContext> {
  private final long timeoutNanos;
  private final int status;
  /** Sentinel of the circular list: head.next is the oldest pending request, head.prev the newest. */
  private final Pending head = new Pending(null, null, 0);

  /** A request waiting for its answer; {@link #unlink} when it is answered. */
  final class Pending {
    /** The routed request, or null for one tracked by {@link #track} with its own {@code expire}. */
    private final RoutingContext ctx;
    private final Runnable expire;
    private final long deadline;
    private Pending prev = this;
    private Pending next = this;
    private int endHandler;

    private Pending(RoutingContext ctx, Runnable expire, long deadline) {
      this.ctx = ctx;
      this.expire = expire;
      this.deadline = deadline;
    }

    void unlink() {
      prev.next = next;
      next.prev = prev;
      prev = next = this;
    }
  }

  RequestDeadlines(Vertx vertx, long timeoutMs, int status) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.status = status;
    vertx.setPeriodic(Math.max(5, Math.min(250, timeoutMs / 20)), id -> expire());
  }

  @Override
  public void handle(RoutingContext ctx) {
    Pending p = append(new Pending(ctx, null, System.nanoTime() + timeoutNanos));
    p.endHandler = ctx.addEndHandler(v -> p.unlink());
    ctx.next();
  }

  /** Runs {@code expire} at the deadline unless the returned entry is unlinked first. On this loop only. */
  Pending track(Runnable expire) {
    return append(new Pending(null, expire, System.nanoTime() + timeoutNanos));
  }

  private Pending append(Pending p) {
    p.prev = head.prev;
    p.next = head;
    head.prev.next = p;
    head.prev = p;
    return p;
  }

  private void expire() {
    long now = System.nanoTime();
    while (head.next != head && head.next.deadline - now <= 0) {
      Pending p = head.next;
      p.unlink();
      if (p.ctx == null) {
        p.expire.run();
      } else if (p.ctx.removeEndHandler(p.endHandler)) {
        // As TimeoutHandler: only if the request has not ended meanwhile (nor been restarted by the router).
        if (!p.ctx.request().isEnded()) p.ctx.request().resume();
        p.ctx.fail(status);
      }
    }
  }
}
