package dev.sluice.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed, validated reads from one JSON object of the configuration. Every accessor names the
 * full key in its error, so a bad value stops the start with "key: reason".
 */
final class Settings {
  private final String path;
  private final JsonObject json;

  Settings(String path, JsonObject json) {
    this.path = path;
    this.json = json == null ? new JsonObject() : json;
  }

  String key(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** The raw mapping, for values with a shape of their own (an optional, possibly empty string). */
  JsonObject json() {
    return json;
  }

  boolean has(String name) {
    return json.getValue(name) != null;
  }

  Settings child(String name) {
    Object v = json.getValue(name);
    if (v == null) return new Settings(key(name), new JsonObject());
    if (!(v instanceof JsonObject o)) throw new ConfigException(key(name) + ": must be a mapping");
    return new Settings(key(name), o);
  }

  List<String> names() {
    return new ArrayList<>(json.fieldNames());
  }

  String string(String name, String dflt) {
    Object v = json.getValue(name);
    if (v == null) {
      if (dflt == null) throw new ConfigException(key(name) + ": is required");
      return dflt;
    }
    if (v instanceof JsonObject || v instanceof JsonArray) {
      throw new ConfigException(key(name) + ": must be a single value");
    }
    String s = v.toString().trim();
    if (s.isEmpty()) throw new ConfigException(key(name) + ": must not be empty");
    return s;
  }

  String optionalString(String name) {
    return has(name) ? string(name, null) : null;
  }

  int integer(String name, int dflt, int min, int max) {
    long v = number(name, dflt);
    if (v < min || v > max) {
      throw new ConfigException(key(name) + ": must be between " + min + " and " + max + ", got " + v);
    }
    return (int) v;
  }

  long number(String name, long dflt) {
    Object v = json.getValue(name);
    if (v == null) return dflt;
    if (v instanceof Number n) {
      if (n.doubleValue() != Math.rint(n.doubleValue())) {
        throw new ConfigException(key(name) + ": must be a whole number, got " + v);
      }
      return n.longValue();
    }
    try {
      return Long.parseLong(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key(name) + ": must be a whole number, got '" + v + "'");
    }
  }

  /** One of an enum's constants, written in lower case in the file. */
  <E extends Enum<E>> E choice(String name, String dflt, Class<E> type, String allowed) {
    String value = string(name, dflt);
    try {
      return Enum.valueOf(type, value.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key(name) + ": must be " + allowed + ", got '" + value + "'");
    }
  }

  boolean bool(String name, boolean dflt) {
    Object v = json.getValue(name);
    if (v == null) return dflt;
    if (v instanceof Boolean b) return b;
    String s = v.toString().trim().toLowerCase();
    if (s.equals("true")) return true;
    if (s.equals("false")) return false;
    throw new ConfigException(key(name) + ": must be true or false, got '" + v + "'");
  }

  List<String> strings(String name) {
    Object v = json.getValue(name);
    if (v == null) return List.of();
    if (!(v instanceof JsonArray a)) throw new ConfigException(key(name) + ": must be a list");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      Object e = a.getValue(i);
      if (e == null || e instanceof JsonObject || e instanceof JsonArray) {
        throw new ConfigException(key(name) + "[" + i + "]: must be a single value");
      }
      out.add(e.toString().trim());
    }
    return out;
  }

  List<Settings> objects(String name) {
    Object v = json.getValue(name);
    if (v == null) return List.of();
    if (!(v instanceof JsonArray a)) throw new ConfigException(key(name) + ": must be a list");
    List<Settings> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof JsonObject o)) {
        throw new ConfigException(key(name) + "[" + i + "]: must be a mapping");
      }
      out.add(new Settings(key(name) + "[" + i + "]", o));
    }
    return out;
  }
}
