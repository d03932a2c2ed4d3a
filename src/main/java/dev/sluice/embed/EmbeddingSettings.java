package dev.sluice.embed;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.json.JsonObject;

/**
 * The {@code embedding:} section of the configuration: the worker pool that runs the models, its
 * bounded queue, the query-text cache and the input limits.
 *
 * @param workers threads of the {@code sluice-embed} worker pool (inference runs there, never on an event loop)
 * @param queue tasks that may wait for a worker; beyond it a request is refused with 503 and Retry-After
 * @param cacheEntries query texts whose vectors are kept (least recently used out first)
 * @param maxTextChars the longest text a search may send (longer: 400)
 * @param batchSize texts per inference call when embedding rows on writes
 */
public record EmbeddingSettings(int workers, int queue, int cacheEntries, int maxTextChars, int batchSize) {

  public static EmbeddingSettings from(SluiceConfig config) {
    JsonObject raw = config.raw() == null ? null : config.raw().getJsonObject("embedding");
    return from(raw == null ? new JsonObject() : raw);
  }

  static EmbeddingSettings from(JsonObject e) {
    return new EmbeddingSettings(
        integer(e, "workers", 2, 1, 64),
        integer(e, "queue", 64, 0, 100_000),
        integer(e, "cacheEntries", 10_000, 0, 10_000_000),
        integer(e, "maxTextChars", 2_000, 1, 100_000),
        integer(e, "batchSize", 32, 1, 1024));
  }

  private static int integer(JsonObject o, String name, int dflt, int min, int max) {
    Object v = o.getValue(name);
    if (v == null) return dflt;
    long n;
    try {
      n = v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue()) ? num.longValue()
          : Long.parseLong(v.toString().trim());
    } catch (NumberFormatException ex) {
      throw new ConfigException("embedding." + name + ": must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) throw new ConfigException("embedding." + name + ": must be between " + min + " and " + max + ", got " + n);
    return (int) n;
  }
}
