package dev.sluice.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/** Reads conf/sluice.yaml (or SLUICE_CONFIG) through vertx-config, then SLUICE_* overrides, then validates. */
public final class ConfigLoader {
  private ConfigLoader() {}

  public static Future<SluiceConfig> load(Vertx vertx, Map<String, String> env, JsonObject extraOverrides) {
    String path = env.getOrDefault("SLUICE_CONFIG", "conf/sluice.yaml");
    ConfigStoreOptions yaml = new ConfigStoreOptions()
        .setType("file").setFormat("yaml").setConfig(new JsonObject().put("path", path));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
        .setScanPeriod(0).setIncludeDefaultStores(false).addStore(yaml));
    return retriever.getConfig()
        .recover(err -> Future.failedFuture(new ConfigException("cannot read configuration file " + path + ": "
            + err.getMessage())))
        .map(json -> {
          retriever.close();
          EnvOverrides.apply(json, env);
          if (extraOverrides != null) deepMerge(json, extraOverrides);
          return SluiceConfig.from(json);
        });
  }

  /** Used by tests and tools to adjust a loaded configuration (e.g. another database). */
  public static void deepMerge(JsonObject target, JsonObject overrides) {
    for (String k : overrides.fieldNames()) {
      Object v = overrides.getValue(k);
      if (v instanceof JsonObject o && target.getValue(k) instanceof JsonObject t) {
        deepMerge(t, o);
      } else {
        target.put(k, v);
      }
    }
  }
}
