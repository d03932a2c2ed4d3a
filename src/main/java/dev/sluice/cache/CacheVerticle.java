package dev.sluice.cache;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataRequest;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The cache on the event bus, for consumers other than the data path (which uses
 * {@link ResponseCache} directly, see data.CachedReads):
 * <ul>
 *   <li>{@code sluice.cache.invalidate} {resource, tenant, ids?} — bump the versions a committed
 *   write affects; replies when done, so a writer can reply to its client only after it.</li>
 *   <li>{@code sluice.cache.get} {tenant|apiKey, key} → {value|null}; {@code sluice.cache.put}
 *   {tenant|apiKey, key, value, ttlSeconds}: a consumer's own values, namespaced by tenant.</li>
 *   <li>{@code sluice.health.redis} → {ok}: false while Redis is down or the circuit is open.</li>
 *   <li>{@code sluice.cache.bumped} (publish): every node's writes, applied to this node's L1.</li>
 * </ul>
 * The write path requests {@code sluice.cache.invalidate} itself and awaits it before replying, so
 * the change events ({@code sluice.changes.<resource>}) need no second invalidation here.
 */
public final class CacheVerticle extends VerticleBase {
  private final ResponseCache cache;
  private final ApiKeys keys;

  public CacheVerticle(ResponseCache cache, ApiKeys keys) {
    this.cache = cache;
    this.keys = keys;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    List<Future<Void>> ready = new ArrayList<>();
    ready.add(serve(bus, Addresses.CACHE_INVALIDATE, b -> invalidate(b).map(v -> new JsonObject().put("ok", true))));
    ready.add(serve(bus, Addresses.CACHE_GET, b -> cache.getRaw(tenant(b), required(b, "key"))
        .map(v -> new JsonObject().put("value", v))));
    ready.add(serve(bus, Addresses.CACHE_PUT, b -> cache.putRaw(tenant(b), required(b, "key"), required(b, "value"),
        ttlSeconds(b)).map(v -> new JsonObject().put("ok", true))));
    // Other nodes' writes (the clustered bus delivers a publish to every node): bump them here too.
    ready.add(bus.<JsonObject>consumer(ResponseCache.BUMPED, m -> cache.applyRemote(m.body())).completion());
    ready.add(bus.consumer(Addresses.HEALTH_REDIS, m -> cache.ping()
        .onComplete(ar -> m.reply(new JsonObject().put("ok", ar.succeeded() && ar.result())))).completion());
    return Future.all(ready);
  }

  private Future<Void> invalidate(JsonObject b) {
    JsonArray ids = DataRequest.field(b, "ids", JsonArray.class);
    return cache.invalidate(required(b, "resource"), tenant(b), ids == null ? null : ids.getList());
  }

  private long tenant(JsonObject b) {
    String apiKey = DataRequest.field(b, "apiKey", String.class);
    if (apiKey != null) return keys.lookup(apiKey).map(Principal::tenant).orElseThrow(ApiError::unauthorized);
    Object t = b.getValue("tenant");
    if (t instanceof Number n) return n.longValue();
    throw ApiError.badRequest("tenant or apiKey is required.");
  }

  private static String required(JsonObject b, String field) {
    String v = DataRequest.field(b, field, String.class);
    if (v == null) throw ApiError.badRequest(field + " is required.");
    return v;
  }

  private static int ttlSeconds(JsonObject b) {
    Number ttl = DataRequest.field(b, "ttlSeconds", Number.class);
    if (ttl == null) return 60;
    if (ttl.longValue() < 1 || ttl.longValue() > 86_400 * 365) throw ApiError.badRequest("ttlSeconds must be 1 to 31536000.");
    return ttl.intValue();
  }

  private static Future<Void> serve(EventBus bus, String address, Function<JsonObject, Future<JsonObject>> op) {
    return bus.consumer(address, (Message<Object> m) -> {
      Future<JsonObject> f;
      try {
        Object body = m.body();
        if (body != null && !(body instanceof JsonObject)) throw ApiError.badRequest("The message must be a JSON object.");
        f = op.apply(body == null ? new JsonObject() : (JsonObject) body);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (ar.succeeded()) m.reply(ar.result());
        else ErrorMapper.fail(m, ar.cause());
      });
    }).completion();
  }
}
