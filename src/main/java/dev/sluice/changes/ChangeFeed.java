package dev.sluice.changes;

import dev.sluice.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The real-time change feed of one gateway node. It listens to {@code sluice.changes.<resource>}
 * (published cluster-wide by the write path after each commit), numbers each event, keeps the
 * last {@code bufferSize} per resource for resumption, and hands new ones to live subscribers
 * (the SSE streams). Event ids are {@code <node>-<sequence>}: a client resumes with Last-Event-ID
 * on the node that issued it; an id from elsewhere, or one older than the buffer, replays the
 * whole buffer, and the stream says so with a {@code reset} event.
 */
public final class ChangeFeed {
  /** One change: its id, the tenant it belongs to (0 for shared resources), and its JSON payload. */
  public record Event(long sequence, String id, long tenant, String json) {}

  /** What a subscriber receives on subscribing: the events after its position, and whether it lost some. */
  public record Backlog(List<Event> events, boolean reset) {}

  private final Vertx vertx;
  private final List<String> resources;
  private final int bufferSize;
  private final String node = UUID.randomUUID().toString().substring(0, 8);
  private final Map<String, Deque<Event>> buffers = new ConcurrentHashMap<>();
  private final Map<String, List<Consumer<Event>>> subscribers = new ConcurrentHashMap<>();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  /** One sequence for the node's ids; taken under each resource's lock, so each buffer stays in order. */
  private final AtomicLong sequence = new AtomicLong();

  public ChangeFeed(Vertx vertx, List<String> resources, int bufferSize) {
    this.vertx = vertx;
    this.resources = resources;
    this.bufferSize = bufferSize;
  }

  public Future<Void> start() {
    List<Future<Void>> ready = new ArrayList<>();
    for (String r : resources) {
      buffers.put(r, new ArrayDeque<>());
      subscribers.put(r, new CopyOnWriteArrayList<>());
      MessageConsumer<JsonObject> c = vertx.eventBus().consumer(Addresses.CHANGES_PREFIX + r, m -> append(r, m.body()));
      consumers.add(c);
      ready.add(c.completion());
    }
    return Future.all(ready).mapEmpty();
  }

  public Future<Void> close() {
    List<Future<Void>> done = new ArrayList<>();
    consumers.forEach(c -> done.add(c.unregister()));
    return Future.join(done).mapEmpty();
  }

  private void append(String resource, JsonObject change) {
    if (change == null) return;
    long tenant = change.getLong("tenant", 0L);
    Event e;
    Deque<Event> buffer = buffers.get(resource);
    synchronized (buffer) {
      long seq = sequence.incrementAndGet();
      // Payload: keys and operation only, never other columns (tenants see nothing but their own ids).
      JsonObject payload = new JsonObject().put("resource", resource).put("op", change.getString("op"))
          .put("ids", change.getValue("ids")).put("count", change.getValue("count"))
          .put("at", change.getValue("at"));
      e = new Event(seq, node + "-" + seq, tenant, payload.encode());
      buffer.addLast(e);
      if (buffer.size() > bufferSize) buffer.removeFirst();
    }
    for (Consumer<Event> s : subscribers.get(resource)) s.accept(e);
  }

  /**
   * Subscribes to a resource's new events, returning what was missed since {@code lastEventId}
   * (null: nothing). The listener is called on the publisher's thread: hop to your own context.
   */
  public Backlog subscribe(String resource, String lastEventId, Consumer<Event> listener) {
    Deque<Event> buffer = buffers.get(resource);
    synchronized (buffer) {
      subscribers.get(resource).add(listener);
      if (lastEventId == null) return new Backlog(List.of(), false);
      long after = positionOf(lastEventId);
      List<Event> missed = new ArrayList<>();
      Event oldest = buffer.peekFirst();
      boolean reset = after < 0 || (oldest != null && oldest.sequence() > after + 1);
      for (Event e : buffer) if (reset || e.sequence() > after) missed.add(e);
      return new Backlog(missed, reset);
    }
  }

  public void unsubscribe(String resource, Consumer<Event> listener) {
    List<Consumer<Event>> list = subscribers.get(resource);
    if (list != null) list.remove(listener);
  }

  /** The sequence of one of this node's ids, or -1 for anything else. */
  private long positionOf(String id) {
    if (!id.startsWith(node + "-")) return -1;
    try {
      return Long.parseLong(id.substring(node.length() + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
