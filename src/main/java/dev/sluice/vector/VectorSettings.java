package dev.sluice.vector;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code vector:} section of the configuration: defaults and allowed ranges of the per-query
 * knobs, the iterative-scan bounds of filtered searches, the search verticle's clients, and the
 * build each ANN index is expected to have. Read from the validated configuration's raw JSON and
 * checked here, at start, with the same "key: reason" messages as the rest of the configuration.
 *
 * @param efSearch hnsw.ef_search: the default (set on the search connections when they connect)
 *     and the range a request may ask for (applied with SET LOCAL in its own transaction)
 * @param probes ivfflat.probes, likewise
 * @param iterativeScan hnsw.iterative_scan for every search: off, relaxed_order or strict_order
 *     (IVFFlat knows off and relaxed_order only; strict_order means relaxed_order there)
 * @param maxScanTuples hnsw.max_scan_tuples: how far an iterative scan may go to fill k rows
 * @param maxProbes ivfflat.max_probes: likewise for IVFFlat
 * @param allowExact whether a request may ask for {"exact": true} (index off, a full scan)
 * @param instances search verticles; 0 = one per event loop (HTTP requests call the one on their own loop in-process)
 * @param poolSize connections of each verticle's search pool, one search at a time each (with knobs of their own or not)
 * @param planCacheMode plan_cache_mode of the search connections (see {@link VectorClients#connectOptions})
 * @param indexes expected index builds, by resource and column; a live index that differs fails the start
 */
public record VectorSettings(Tuning efSearch, Tuning probes, String iterativeScan, int maxScanTuples, int maxProbes,
                             boolean allowExact, int instances, int poolSize, SluiceConfig.PlanCacheMode planCacheMode,
                             Map<String, Map<String, IndexBuild>> indexes) {

  /** pgvector's limits: hnsw.ef_search 1..1000, ivfflat.probes 1..32768. */
  static final int EF_SEARCH_LIMIT = 1000;
  static final int PROBES_LIMIT = 32768;

  /** A per-query knob: its default and the range a request may ask for. */
  public record Tuning(int dflt, int min, int max) {
    boolean allows(int v) {
      return v >= min && v <= max;
    }
  }

  /** An index build as declared: type hnsw (m, efConstruction) or ivfflat (lists); 0 = not checked. */
  public record IndexBuild(String type, int m, int efConstruction, int lists) {}

  public static VectorSettings from(SluiceConfig config) {
    JsonObject raw = config.raw() == null ? null : config.raw().getJsonObject("vector");
    return from(raw == null ? new JsonObject() : raw);
  }

  static VectorSettings from(JsonObject v) {
    Tuning ef = knob(v, "efSearch", 120, EF_SEARCH_LIMIT);
    Tuning probes = knob(v, "probes", 10, PROBES_LIMIT);
    String iterative = string(v, "iterativeScan", "relaxed_order").toLowerCase(Locale.ROOT);
    if (!iterative.equals("off") && !iterative.equals("relaxed_order") && !iterative.equals("strict_order")) {
      throw new ConfigException("vector.iterativeScan: must be off, relaxed_order or strict_order, got '" + iterative + "'");
    }
    Map<String, Map<String, IndexBuild>> indexes = new LinkedHashMap<>();
    JsonObject ix = object(v, "indexes");
    for (String resource : ix.fieldNames()) {
      JsonObject cols = object(ix, resource, "vector.indexes." + resource);
      Map<String, IndexBuild> byColumn = new LinkedHashMap<>();
      for (String column : cols.fieldNames()) {
        String key = "vector.indexes." + resource + "." + column;
        JsonObject b = object(cols, column, key);
        String type = string(b, "type", key + ".type", null).toLowerCase(Locale.ROOT);
        if (!type.equals("hnsw") && !type.equals("ivfflat")) {
          throw new ConfigException(key + ".type: must be hnsw or ivfflat, got '" + type + "'");
        }
        byColumn.put(column, new IndexBuild(type,
            integer(b, "m", key + ".m", 0, 0, 100),
            integer(b, "efConstruction", key + ".efConstruction", 0, 0, 1000),
            integer(b, "lists", key + ".lists", 0, 0, 32768)));
      }
      indexes.put(resource, Map.copyOf(byColumn));
    }
    return new VectorSettings(ef, probes, iterative,
        integer(v, "maxScanTuples", "vector.maxScanTuples", 20_000, 1, 10_000_000),
        integer(v, "maxProbes", "vector.maxProbes", 32768, 1, PROBES_LIMIT),
        bool(v, "allowExact", "vector.allowExact", true),
        integer(v, "instances", "vector.instances", 0, 0, 64),
        integer(v, "poolSize", "vector.poolSize", 2, 1, 500),
        planCacheMode(v),
        Map.copyOf(indexes));
  }

  /** Search verticles deployed: one per event loop unless configured (as pg.instances). */
  public int verticles(int eventLoops) {
    return SluiceConfig.onePerEventLoop(instances, eventLoops);
  }

  /** IVFFlat has no strict order: anything but off is relaxed_order there. */
  String ivfflatIterativeScan() {
    return iterativeScan.equals("off") ? "off" : "relaxed_order";
  }

  private static SluiceConfig.PlanCacheMode planCacheMode(JsonObject v) {
    String s = string(v, "planCacheMode", "force_generic_plan");
    try {
      return SluiceConfig.PlanCacheMode.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("vector.planCacheMode: must be force_generic_plan, auto or force_custom_plan, got '" + s + "'");
    }
  }

  private static Tuning knob(JsonObject v, String name, int dflt, int limit) {
    String key = "vector." + name;
    JsonObject k = object(v, name, key);
    int min = integer(k, "min", key + ".min", 1, 1, limit);
    int max = integer(k, "max", key + ".max", limit, 1, limit);
    if (min > max) throw new ConfigException(key + ".min: must not exceed " + key + ".max (" + max + ")");
    int d = integer(k, "default", key + ".default", Math.max(min, Math.min(dflt, max)), min, max);
    return new Tuning(d, min, max);
  }

  private static JsonObject object(JsonObject parent, String name) {
    return object(parent, name, "vector." + name);
  }

  private static JsonObject object(JsonObject parent, String name, String key) {
    Object o = parent.getValue(name);
    if (o == null) return new JsonObject();
    if (!(o instanceof JsonObject j)) throw new ConfigException(key + ": must be a mapping");
    return j;
  }

  private static String string(JsonObject v, String name, String dflt) {
    return string(v, name, "vector." + name, dflt);
  }

  private static String string(JsonObject v, String name, String key, String dflt) {
    Object o = v.getValue(name);
    if (o == null) {
      if (dflt == null) throw new ConfigException(key + ": is required");
      return dflt;
    }
    if (o instanceof JsonObject || o instanceof JsonArray) throw new ConfigException(key + ": must be a single value");
    return o.toString().trim();
  }

  private static int integer(JsonObject v, String name, String key, int dflt, int min, int max) {
    Object o = v.getValue(name);
    long n;
    if (o == null) {
      n = dflt;
    } else if (o instanceof Number num) {
      if (num.doubleValue() != Math.rint(num.doubleValue())) throw new ConfigException(key + ": must be a whole number, got " + o);
      n = num.longValue();
    } else {
      try {
        n = Long.parseLong(o.toString().trim());
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": must be a whole number, got '" + o + "'");
      }
    }
    if (n < min || n > max) throw new ConfigException(key + ": must be between " + min + " and " + max + ", got " + n);
    return (int) n;
  }

  private static boolean bool(JsonObject v, String name, String key, boolean dflt) {
    Object o = v.getValue(name);
    if (o == null) return dflt;
    if (o instanceof Boolean b) return b;
    String s = o.toString().trim().toLowerCase(Locale.ROOT);
    if (s.equals("true")) return true;
    if (s.equals("false")) return false;
    throw new ConfigException(key + ": must be true or false, got '" + o + "'");
  }
}
