package dev.sluice.data;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Identical uncached reads asked for within one turn of an event loop run once, at the end of that
 * turn, and share the answer: what the point reads' coalescer does for ids, done for whole statements
 * (many clients asking for the same first page of a listing). The statement is sent after every
 * request that shares it arrived, so each answer is as fresh as a statement of its own would have
 * been: no request gets rows read before it came (read-your-writes holds). A read joins only a
 * statement not yet sent, never one in flight.
 *
 * <p>Thread-confined like {@link PointReader}'s batches: used on its verticle's event loop only
 * (in-process HTTP calls and bus requests both run there).
 */
final class SameTurnReads<V> {
  private final Context context;
  private final Map<String, Promise<V>> pending = new HashMap<>();

  SameTurnReads(Context context) {
    this.context = context;
  }

  /** The read for {@code key}: the one already asked for in this turn, else {@code load} at the end of the turn. */
  Future<V> read(String key, Supplier<Future<V>> load) {
    Promise<V> joined = pending.get(key);
    if (joined != null) return joined.future();
    Promise<V> mine = Promise.promise();
    pending.put(key, mine);
    context.runOnContext(v -> {
      pending.remove(key);
      Future<V> loaded;
      try {
        loaded = load.get();
      } catch (RuntimeException e) {
        loaded = Future.failedFuture(e);
      }
      loaded.onComplete(mine);
    });
    return mine.future();
  }
}
