package dev.sluice.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The data operations of this gateway as in-process calls, per event loop: a data verticle
 * registers the operation it serves on the bus here too, on its own event-loop thread, and the
 * HTTP verticle on that same thread calls it directly instead of sending a bus message to a
 * verticle on another loop. Same code as the bus consumer, same thread as the caller: no codec,
 * no hop to another loop, no reply message. The bus addresses keep serving every other consumer.
 *
 * <p>Measured with {@code ./sluice bench reads}: see the README (Performance). Why not the bus for
 * HTTP: a local request/reply costs a message, a reply and a switch to the data verticle's loop
 * and back for every request, which on a 2-core box was more than 10 % of an uncached point read.
 *
 * <p>One per Vert.x instance (kept in its local shared data). The per-thread maps are only touched
 * by their own thread: verticles register and unregister in start and stop, on their event loop.
 */
public final class LocalCalls implements Shareable {
  /** Told of every local call when it completes, for the operation timers (the bus has interceptors). */
  public interface Observer {
    void completed(String address, DataRequest request, long nanos, Throwable failure);
  }

  private final Map<Thread, Map<String, Function<DataRequest, Future<DataReply>>>> byThread = new ConcurrentHashMap<>();
  private volatile Observer observer;

  private LocalCalls() {}

  public static LocalCalls of(Vertx vertx) {
    LocalMap<String, LocalCalls> map = vertx.sharedData().getLocalMap("sluice.local-calls");
    LocalCalls calls = map.get("calls");
    if (calls != null) return calls;
    LocalCalls created = new LocalCalls();
    LocalCalls raced = map.putIfAbsent("calls", created);
    return raced != null ? raced : created;
  }

  /** Serves {@code address} to callers on the current thread (call it on the verticle's event loop). */
  public void register(String address, Function<DataRequest, Future<DataReply>> op) {
    byThread.computeIfAbsent(Thread.currentThread(), t -> new HashMap<>()).put(address, op);
  }

  public void unregister(String address) {
    Map<String, Function<DataRequest, Future<DataReply>>> ops = byThread.get(Thread.currentThread());
    if (ops != null) ops.remove(address);
  }

  /** The operation served on the caller's own thread, or null (then use the bus). */
  public Function<DataRequest, Future<DataReply>> onThisThread(String address) {
    Map<String, Function<DataRequest, Future<DataReply>>> ops = byThread.get(Thread.currentThread());
    return ops == null ? null : ops.get(address);
  }

  public Future<DataReply> call(String address, Function<DataRequest, Future<DataReply>> op, DataRequest request) {
    long started = System.nanoTime();
    Future<DataReply> result;
    try {
      result = op.apply(request);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    Observer o = observer;
    if (o != null) result.onComplete(ar -> o.completed(address, request, System.nanoTime() - started, ar.cause()));
    return result;
  }

  public void observe(Observer o) {
    this.observer = o;
  }
}
