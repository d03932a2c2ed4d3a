package dev.sluice.support;

import java.util.function.BooleanSupplier;

/**
 * For a state a blocking test can only observe by asking again (a gauge, a pool's count, a row):
 * asks every 20 ms until it holds, and fails naming it after {@code timeoutMs}. The test thread
 * waits, never an event loop. (Asynchronous tests use {@link Eventually} on a Vert.x timer instead.)
 */
public final class Poll {
  private static final long RETRY_MS = 20;

  private Poll() {}

  public static void until(String what, long timeoutMs, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      try {
        Thread.sleep(RETRY_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
