package dev.sluice.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Applies SLUICE_* environment variables to the loaded YAML. Each scalar at path a.bCd maps to
 * SLUICE_A_B_CD; a list of plain values takes a comma-separated value (pg.replicas.urls ->
 * SLUICE_PG_REPLICAS_URLS=url1,url2). vertx-config's own "env" store only sets top-level keys, which
 * cannot reach nested settings such as pg.poolSize, hence this small mapping.
 */
public final class EnvOverrides {
  private EnvOverrides() {}

  /** Overrides in place and returns the same object. */
  public static JsonObject apply(JsonObject config, Map<String, String> env) {
    walk("SLUICE", config, env);
    return config;
  }

  /** SLUICE_ name for a config path segment sequence, e.g. ("pg","poolSize") -> SLUICE_PG_POOL_SIZE. */
  static String envName(String prefix, String segment) {
    StringBuilder sb = new StringBuilder(prefix).append('_');
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (Character.isUpperCase(c) && i > 0) sb.append('_');
      sb.append(c == '-' || c == '.' ? '_' : Character.toUpperCase(c));
    }
    return sb.toString();
  }

  private static void walk(String prefix, JsonObject node, Map<String, String> env) {
    for (String name : node.fieldNames().toArray(new String[0])) {
      String envName = envName(prefix, name);
      Object value = node.getValue(name);
      if (value instanceof JsonObject child) {
        walk(envName, child, env);
      } else if (value instanceof JsonArray list) {
        String override = env.get(envName);
        if (override != null && list.stream().noneMatch(e -> e instanceof JsonObject || e instanceof JsonArray)) {
          JsonArray items = new JsonArray();
          for (String item : override.split(",")) if (!item.isBlank()) items.add(item.trim());
          node.put(name, items);
        }
      } else {
        String override = env.get(envName);
        if (override != null) node.put(name, coerce(override, value));
      }
    }
  }

  private static Object coerce(String text, Object existing) {
    // Numbers and booleans are validated later with the key's name in the error;
    // here they only keep their type when they parse.
    if (existing instanceof Number) {
      try {
        return Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        return text;
      }
    }
    if (existing instanceof Boolean) {
      String t = text.trim().toLowerCase();
      return t.equals("true") ? Boolean.TRUE : t.equals("false") ? Boolean.FALSE : text;
    }
    return text;
  }
}
