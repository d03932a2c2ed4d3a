package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.bus.Addresses;
import dev.sluice.replica.CommitFence;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The rows one transaction changed, per resource and operation, announced only after it commits:
 * first the written tenants are fenced for read-your-writes on replicas, then the cache is told
 * (both awaited, so a read after the reply never sees the old value), then
 * {@code sluice.changes.<resource>} is published:
 * <pre>
 *   {"resource": "leads", "tenant": 1, "op": "insert|update|delete", "ids": [...] | null, "count": n, "at": "..."}
 * </pre>
 * {@code ids} lists the primary keys when there are at most {@code cap} of them, else it is null and
 * the consumer treats the whole resource (of that tenant) as changed. A rolled-back transaction's
 * changes are simply dropped.
 */
final class Changes {
  private static final DeliveryOptions INVALIDATE = new DeliveryOptions().setSendTimeout(2000).setLocalOnly(true);

  private static final class Change {
    final String resource;
    final long tenant;
    final String op;
    List<Object> ids = new ArrayList<>();
    long count;

    Change(String resource, long tenant, String op) {
      this.resource = resource;
      this.tenant = tenant;
      this.op = op;
    }
  }

  private final int cap;
  private final Map<String, Change> changes = new LinkedHashMap<>();

  Changes(int cap) {
    this.cap = cap;
  }

  /** Notes one changed row; {@code id} may be null when it is not known. */
  void add(WriteTarget t, long tenant, String op, Object id) {
    Change c = change(t, tenant, op);
    c.count++;
    if (c.ids != null) {
      if (id == null || c.ids.size() >= cap) c.ids = null;
      else c.ids.add(id instanceof UUID ? id.toString() : id);
    }
  }

  /** Notes {@code n} changed rows whose ids are not known. */
  void addUnknown(WriteTarget t, long tenant, String op, long n) {
    if (n <= 0) return;
    Change c = change(t, tenant, op);
    c.count += n;
    c.ids = null;
  }

  /** True while ids are still being collected for this operation (so RETURNING them is worth it). */
  boolean wantsIds(WriteTarget t, long tenant, String op) {
    Change c = changes.get(key(t, tenant, op));
    return c == null || (c.ids != null && c.ids.size() < cap);
  }

  private Change change(WriteTarget t, long tenant, String op) {
    // Shared resources have no tenant: their changes belong to everyone (tenant 0), as in the cache.
    long scope = t.tenant == null ? 0 : tenant;
    return changes.computeIfAbsent(key(t, scope, op), k -> new Change(t.name(), scope, op));
  }

  private static String key(WriteTarget t, long tenant, String op) {
    return t.name() + '|' + (t.tenant == null ? 0 : tenant) + '|' + op;
  }

  boolean isEmpty() {
    return changes.isEmpty();
  }

  /**
   * After the commit: fence the written tenants (reads of them stay off replicas that lack the
   * write), invalidate the cache (awaited, failures ignored), then publish the change events.
   */
  Future<Void> publish(EventBus bus, CommitFence fence) {
    if (changes.isEmpty()) return Future.succeededFuture();
    String at = Instant.now().toString(); // the commit just happened: the events' time
    Set<Long> scopes = new HashSet<>();
    for (Change c : changes.values()) scopes.add(c.tenant);
    return fence.afterCommit(scopes).compose(v -> announce(bus, at));
  }

  private Future<Void> announce(EventBus bus, String at) {
    List<Future<?>> invalidated = new ArrayList<>();
    List<JsonObject> events = new ArrayList<>();
    for (Change c : changes.values()) {
      JsonArray ids = c.ids == null ? null : new JsonArray(c.ids);
      invalidated.add(bus.request(Addresses.CACHE_INVALIDATE, new JsonObject().put("resource", c.resource)
          .put("tenant", c.tenant).put("ids", ids), INVALIDATE).otherwiseEmpty());
      events.add(new JsonObject().put("resource", c.resource).put("tenant", c.tenant).put("op", c.op)
          .put("ids", ids).put("count", c.count).put("at", at));
    }
    return Future.join(invalidated).otherwiseEmpty().map(v -> {
      for (JsonObject e : events) bus.publish(Addresses.CHANGES_PREFIX + e.getString("resource"), e);
      return null;
    });
  }
}
