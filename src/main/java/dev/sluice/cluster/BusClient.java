package dev.sluice.cluster;

import dev.sluice.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * A consumer's side of Sluice's addresses on the clustered event bus: JSON in, JSON out, with a
 * bounded retry for idempotent reads when the node that was asked went away (no handler, timeout,
 * or its connection dropped). Writes are never retried: the caller decides.
 */
public final class BusClient {
  private static final Set<String> IDEMPOTENT = Set.of(Addresses.READ, Addresses.GET, Addresses.SEARCH, Addresses.SIMILAR);

  private final Vertx vertx;
  private final DeliveryOptions options;
  private final int maxAttempts;
  private final long backoffMillis;

  public BusClient(Vertx vertx, long timeoutMillis, int maxAttempts, long backoffMillis) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    this.maxAttempts = maxAttempts;
    this.backoffMillis = backoffMillis;
  }

  public Future<JsonObject> request(String address, JsonObject message) {
    return attempt(address, message, 1);
  }

  private Future<JsonObject> attempt(String address, JsonObject message, int n) {
    return vertx.eventBus().<JsonObject>request(address, message, options).map(m -> m.body()).recover(err -> {
      if (n >= maxAttempts || !IDEMPOTENT.contains(address) || !retryable(err)) return Future.failedFuture(err);
      Promise<Void> wait = Promise.promise();
      vertx.setTimer(backoffMillis * n, t -> wait.complete());
      return wait.future().compose(v -> attempt(address, message, n + 1));
    });
  }

  /** The node was not there to answer; an answer (even an error status) is never retried. */
  static boolean retryable(Throwable err) {
    if (err instanceof ReplyException re) {
      return re.failureType() == ReplyFailure.NO_HANDLERS || re.failureType() == ReplyFailure.TIMEOUT
          || (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == 503);
    }
    return true; // connection-level failures
  }
}
