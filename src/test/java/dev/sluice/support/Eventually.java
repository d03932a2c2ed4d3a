package dev.sluice.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * For a state a test can only observe by asking (a gauge, an admin report): asks again on a Vert.x
 * timer, without blocking any thread, until the answer is yes; fails after {@code timeoutMs}. Used
 * with VertxTestContext instead of sleeping for a guessed time.
 */
public final class Eventually {
  private static final long RETRY_MS = 20;

  private Eventually() {}

  public static Future<Void> until(Vertx vertx, long timeoutMs, String what, Supplier<Future<Boolean>> check) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    attempt(vertx, deadline, what, check, done);
    return done.future();
  }

  private static void attempt(Vertx vertx, long deadline, String what, Supplier<Future<Boolean>> check, Promise<Void> done) {
    check.get().onComplete(ar -> {
      if (ar.succeeded() && Boolean.TRUE.equals(ar.result())) {
        done.complete();
      } else if (System.nanoTime() > deadline) {
        done.fail(new AssertionError("still not the case: " + what, ar.cause()));
      } else {
        vertx.setTimer(RETRY_MS, t -> attempt(vertx, deadline, what, check, done));
      }
    });
  }
}
