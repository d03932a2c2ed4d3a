package dev.sluice.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.bus.Addresses;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cache: a bounded in-process Caffeine L1 in front of Redis (L2). Serves get/put/invalidate
 * and the Redis readiness check on the event bus. Every Redis call is bounded by the configured
 * timeout and a Redis failure is answered as a miss, never as an error: the cache can only make
 * a request faster, not fail it.
 */
public final class CacheVerticle extends VerticleBase {
  private final SluiceConfig config;
  private Redis redis;
  private RedisAPI api;
  private Cache<String, Entry> l1;

  /** An L1 value with its own expiry, so each resource's TTL applies in L1 too. */
  private record Entry(String value, long expiresAtNanos) {}

  public CacheVerticle(SluiceConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.redis().url())
        .setMaxPoolSize(config.redis().poolSize())
        .setMaxPoolWaiting(config.redis().maxWaiting())
        .setMaxWaitingHandlers(config.redis().maxWaiting()));
    api = RedisAPI.api(redis);
    l1 = Caffeine.newBuilder().maximumSize(config.cache().l1MaxEntries()).recordStats().build();
    EventBus bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.CACHE_GET, m -> get(m.body().getString("key")).onComplete(ar ->
            m.reply(ar.succeeded() ? ar.result() : new JsonObject()))).completion(),
        bus.<JsonObject>consumer(Addresses.CACHE_PUT, m -> put(m.body().getString("key"), m.body().getString("value"),
            m.body().getInteger("ttlSeconds", 60)).onComplete(ar -> m.reply(new JsonObject().put("ok", ar.succeeded()))))
            .completion(),
        bus.<JsonObject>consumer(Addresses.CACHE_INVALIDATE, m -> invalidate(m.body().getJsonArray("keys", new JsonArray()))
            .onComplete(ar -> m.reply(new JsonObject().put("ok", ar.succeeded())))).completion(),
        bus.consumer(Addresses.HEALTH_REDIS, m -> bounded(api.ping(List.of()))
            .onComplete(ar -> m.reply(new JsonObject().put("ok", ar.succeeded())))).completion());
  }

  private Future<JsonObject> get(String key) {
    Entry e = l1.getIfPresent(key);
    if (e != null && e.expiresAtNanos() - System.nanoTime() > 0) {
      return Future.succeededFuture(new JsonObject().put("value", e.value()).put("layer", "l1"));
    }
    String k = config.cache().keyPrefix() + key;
    return bounded(api.get(k)).map(r -> r == null ? new JsonObject()
        : new JsonObject().put("value", r.toString()).put("layer", "l2"))
        .otherwise(new JsonObject());
  }

  private Future<Void> put(String key, String value, int ttlSeconds) {
    l1.put(key, new Entry(value, System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds)));
    String k = config.cache().keyPrefix() + key;
    return bounded(api.set(List.of(k, value, "EX", String.valueOf(Math.max(1, ttlSeconds))))).mapEmpty();
  }

  private Future<Void> invalidate(JsonArray keys) {
    List<String> prefixed = new ArrayList<>();
    for (Object k : keys) {
      l1.invalidate(k.toString());
      prefixed.add(config.cache().keyPrefix() + k);
    }
    return prefixed.isEmpty() ? Future.succeededFuture() : bounded(api.del(prefixed)).mapEmpty();
  }

  private Future<Response> bounded(Future<Response> f) {
    return f.timeout(config.redis().timeoutMs(), TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<?> stop() {
    if (redis != null) redis.close();
    return Future.succeededFuture();
  }
}
