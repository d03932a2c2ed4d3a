package dev.sluice.fuzz;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Generates hostile requests from one seed: grammar-aware (real resources, fields, operators and
 * body shapes, so most inputs reach deep into the gateway) with hostile values mixed in at every
 * position (escapes, NUL, surrogates, huge numbers, far dates, broken JSON, wrong types, forged
 * cursors). The same seed gives the same inputs, so a failure can be replayed with -Dfuzz.seed.
 */
final class HostileInputs {
  /** One generated input: an HTTP request or an event-bus message. */
  sealed interface Probe permits HttpProbe, BusProbe {
    String describe();

    boolean writes();
  }

  record HttpProbe(String method, String path, String key, Map<String, String> headers, byte[] body) implements Probe {
    public String describe() {
      String b = body == null ? "" : " body=" + abbreviate(new String(body, StandardCharsets.UTF_8));
      return method + " " + abbreviate(path) + " key=" + key + " headers=" + headers + b;
    }

    public boolean writes() {
      return !method.equals("GET") && !path.contains("/search");
    }
  }

  record BusProbe(String address, Object message) implements Probe {
    public String describe() {
      return "bus " + address + " " + abbreviate(String.valueOf(message));
    }

    public boolean writes() {
      return address.equals("sluice.bulk") || address.equals("sluice.patch") || address.equals("sluice.delete")
          || address.equals("sluice.batch") || address.startsWith("sluice.cache.");
    }
  }

  static final List<String> RESOURCES = List.of("leads", "customers", "organizations", "documents", "fuzz");
  static final Map<String, List<String>> FIELDS = Map.of(
      "leads", List.of("id", "org_id", "customer_id", "title", "status", "priority", "created_at", "updated_at"),
      "customers", List.of("id", "org_id", "name", "email", "created_at"),
      "organizations", List.of("id", "name", "created_at"),
      "documents", List.of("id", "package", "section", "text", "embedding"),
      "fuzz", List.of("id", "org_id", "small", "whole", "big", "amount", "ratio", "score", "flag", "label", "note", "ref",
          "day", "at", "at_tz", "doc", "embedding"));
  static final List<String> KEYS = List.of("demo-reader", "demo-writer", "demo-admin", "demo-reader-2");
  private static final List<String> OPS = List.of("eq", "neq", "gt", "gte", "lt", "lte", "in", "is", "like", "ilike", "fts",
      "not.eq", "not.in", "not.like", "match", "cs", "", "EQ", "not.not.eq");

  /** Values that broke, or could break, a parser, a binder or the database. */
  static final List<String> HOSTILE = List.of(
      "", " ", "\u0000", "a\u0000b", "\\", "abc\\", "*\\", "\\\\", "%", "%%", "_", "'", "\"", "''", ";", "--", "/*", "*/",
      "' OR '1'='1", "1; DROP TABLE leads", "$1", "${jndi:ldap://x/a}", "<script>", "\ud800", "a\udc00", "\uffff", "\u202e",
      "é", "😀", "null", "NULL", "true", "false", "NaN", "-NaN", "Infinity", "-Infinity", "0", "-0", "00", "+1", "0x10",
      "1e999999999", "-1e999999999", "1e-999999999", "1E+2147483648", "9223372036854775807", "9223372036854775808",
      "-9223372036854775809", "32768", "-32769", "2147483648", "99999999999999999999999999999999", "1.5", "1.5f", ".5",
      "1_000", "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "294277-01-01T00:00:00Z",
      "294276-12-31T23:59:59Z", "-4713-01-01", "2024-02-30", "2024-13-01", "0000-00-00", "2025-01-01T25:00:00Z",
      "2025-01-01T00:00:00+25:00", "00000000-0000-0000-0000-000000000000", "1-1-1-1-1", "zzzzzzzz-zzzz", "()", "(", ")",
      "(,)", "(\"a,b\")", "(1,2", "1,2)", ".", "..", "*", "**", "?", "&", "=", "#", "[]", "{}", "[1,2,3]", "{\"a\":1}",
      "x".repeat(5000), "é".repeat(3000));

  private final Random random;

  HostileInputs(long seed) {
    this.random = new Random(seed);
  }

  Probe next() {
    int kind = random.nextInt(100);
    if (kind < 22) return read();
    if (kind < 30) return pointRead();
    if (kind < 42) return bulk();
    if (kind < 50) return patch();
    if (kind < 56) return delete();
    if (kind < 64) return batch();
    if (kind < 72) return search();
    if (kind < 76) return similar();
    if (kind < 80) return admin();
    if (kind < 84) return edges();
    return bus();
  }

  // ---- HTTP ----

  private Probe read() {
    String r = resource();
    return http("GET", "/v1/" + seg(r) + "?" + queryString(r, true), key(), headers(null), null);
  }

  private Probe pointRead() {
    String r = resource();
    String id = pick(List.of("1", "2", "0", "-1", "99999999", "abc", "1.5", "9223372036854775808", "%00", "%ZZ", "1%2F2", "..",
        hostileEncoded()));
    String q = random.nextBoolean() ? "" : "?select=" + enc(selection(r));
    return http("GET", "/v1/" + seg(r) + "/" + id + q, key(), headers(null), null);
  }

  private Probe bulk() {
    String r = resource();
    boolean ndjson = random.nextInt(3) == 0;
    StringBuilder q = new StringBuilder();
    if (random.nextBoolean()) q.append("onConflict=").append(enc(pick(List.of("error", "skip", "update", "merge", "", hostile()))));
    if (random.nextInt(4) == 0) q.append("&conflictKey=").append(enc(pick(List.of("id", "title", "id,org_id", "", hostile()))));
    Map<String, String> h = headers(ndjson ? "application/x-ndjson" : "application/json");
    return http("POST", "/v1/" + seg(r) + "/bulk" + (q.length() > 0 ? "?" + q : ""), writer(), h,
        ndjson ? ndjson(r) : jsonBody(() -> rows(r)));
  }

  private Probe patch() {
    String r = resource();
    String q = queryString(r, false);
    return http("PATCH", "/v1/" + seg(r) + (q.isEmpty() ? "" : "?" + q), writer(), headers("application/json"),
        jsonBody(() -> random.nextInt(5) == 0 ? anyJson(2) : row(r)));
  }

  private Probe delete() {
    String r = resource();
    String q = queryString(r, false);
    return http("DELETE", "/v1/" + seg(r) + (q.isEmpty() ? "" : "?" + q), writer(), headers(null), null);
  }

  private Probe batch() {
    return http("POST", "/v1/batch", writer(), headers("application/json"), jsonBody(() -> {
      if (random.nextInt(6) == 0) return new JsonObject().put("operations", anyJson(2));
      JsonArray ops = new JsonArray();
      int n = random.nextInt(4);
      for (int i = 0; i < n; i++) {
        String r = resource();
        JsonObject op = new JsonObject().put("op", pick(List.of("bulk", "patch", "delete", "upsert", "")));
        op.put("resource", random.nextInt(10) == 0 ? anyJson(1) : r);
        switch (random.nextInt(4)) {
          case 0 -> op.put("rows", rows(r));
          case 1 -> op.put("filter", queryString(r, false)).put("set", row(r));
          case 2 -> op.put("filter", filterObject(r));
          default -> op.put("filter", anyJson(1)).put("rows", anyJson(1)).put("set", anyJson(1));
        }
        if (random.nextInt(5) == 0) op.put("onConflict", hostile());
        ops.add(random.nextInt(12) == 0 ? anyJson(1) : op);
      }
      return new JsonObject().put("operations", ops);
    }));
  }

  private Probe search() {
    String r = pick(List.of("documents", "documents", "fuzz", "leads", "nope"));
    JsonObject body = new JsonObject();
    if (random.nextInt(8) != 0) body.put("vector", vector(r));
    if (random.nextBoolean()) body.put("k", pick(List.of(1, 5, 0, -1, 1001, 1_000_000, "5", 2.5, Long.MAX_VALUE)));
    if (random.nextBoolean()) body.put("select", random.nextInt(4) == 0 ? anyJson(1) : selection(r));
    if (random.nextBoolean()) body.put("filter", random.nextInt(4) == 0 ? anyJson(1) : queryString(r, false));
    if (random.nextInt(4) == 0) body.put(pick(List.of("efSearch", "probes")), pick(List.of(5, 120, 2000, "x", -1, 1e300)));
    if (random.nextInt(6) == 0) body.put("exact", pick(List.of(true, false, "yes", 1)));
    if (random.nextInt(8) == 0) body.put(pick(List.of("column", "bogus", "vector2")), hostile());
    String ct = pick(List.of("application/json", "application/json", "application/json",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", "application/json; charset=latin1"));
    byte[] bytes = ct.startsWith("multipart") ? "--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nabc\r\n--x--\r\n"
        .getBytes(StandardCharsets.UTF_8) : mutate(body.encode());
    return http("POST", "/v1/" + seg(r) + "/search", key(), headers(ct), bytes);
  }

  private Probe similar() {
    String r = pick(List.of("documents", "documents", "fuzz", "leads"));
    String id = pick(List.of("1", "2", "0", "-5", "x", "99999999999999999999", hostileEncoded()));
    String q = queryString(r, true).replace("limit=", "k=");
    return http("GET", "/v1/" + seg(r) + "/" + id + "/similar?" + q, key(), headers(null), null);
  }

  private Probe admin() {
    String r = resource();
    String path = pick(List.of("/admin/explain/" + seg(r) + "?" + queryString(r, true) + (random.nextBoolean() ? "&analyze=true" : ""),
        "/admin/explain/" + seg(r) + "?" + queryString(r, true) + "&analyze=" + enc(hostile()),
        "/admin/vector", "/admin/slo", "/admin/db", "/admin/" + enc(hostile())));
    return http("GET", path, pick(List.of("demo-admin", "demo-admin", "demo-reader", "demo-writer")), headers(null), null);
  }

  /** Health, metrics, the change feed's refusals, unknown paths and methods, odd keys and headers. */
  private Probe edges() {
    String r = resource();
    return switch (random.nextInt(8)) {
      case 0 -> http("GET", pick(List.of("/health/live", "/health/ready", "/metrics", "/health/" + enc(hostile()))), null,
          headers(null), null);
      case 1 -> http("GET", "/v1/" + seg(pick(List.of("nope", "..", "%2e%2e", r))) + "/changes", key(),
          changeHeaders(), null);
      case 2 -> http(pick(List.of("PUT", "OPTIONS", "TRACE", "PATCH", "DELETE", "POST")), pick(List.of("/", "/v1", "/v1/",
          "/v1/" + r + "/1", "/health/live", "/admin/slo", "/v1/" + r + "/changes")), key(), headers("application/json"),
          random.nextBoolean() ? null : mutate("{}"));
      case 3 -> http("GET", "/v1/" + r, pick(List.of("", " ", "nope", "demo-reader ", "demo-admin\u00e9", "Bearer x")),
          headers(null), null);
      case 4 -> http("GET", "/v1/" + r + "?" + queryString(r, true), key(), Map.of("Authorization", pick(List.of("Basic eDp5",
          "Bearer", "Bearer  demo-reader", "bearer demo-reader", "demo-reader"))), null);
      case 5 -> http("POST", "/v1/" + r + "/bulk", writer(), Map.of("Content-Type", "application/json",
          "Idempotency-Key", pick(List.of("", " ", "a b", "k".repeat(300), "ok-" + random.nextInt(5)))), jsonBody(() -> rows(r)));
      case 6 -> http("GET", "/" + enc(hostile()) + "/" + enc(hostile()), key(), headers(null), null);
      default -> http("GET", "/v1/" + r + "?" + queryString(r, true), key(), Map.of("Cache-Control", "no-cache",
          "Accept", pick(List.of("text/html", "*/*", "application/xml"))), null);
    };
  }

  // ---- the event bus ----

  private Probe bus() {
    String address = pick(List.of("sluice.read", "sluice.get", "sluice.bulk", "sluice.patch", "sluice.delete", "sluice.batch",
        "sluice.search", "sluice.similar", "sluice.admin.explain", "sluice.cache.get", "sluice.cache.put",
        "sluice.cache.invalidate", "sluice.health.postgres", "sluice.health.redis"));
    if (random.nextInt(10) == 0) return new BusProbe(address, pick(List.of("not json", 42, new JsonArray().add(1))));
    String r = resource();
    JsonObject m = new JsonObject();
    switch (random.nextInt(10)) {
      case 0 -> m.put("tenant", pick(List.of("1", 1.5, true, new JsonObject())));
      case 1 -> m.put("apiKey", pick(List.of(7, "nope", "", new JsonArray())));
      case 2 -> { }
      default -> m.put("apiKey", random.nextInt(3) == 0 ? "demo-writer" : "demo-reader");
    }
    m.put("resource", random.nextInt(8) == 0 ? anyJson(1) : r);
    if (random.nextBoolean()) m.put("id", pick(List.of(1, "1", -1, "x", new JsonObject(), 1.5)));
    if (random.nextBoolean()) {
      m.put("body", switch (random.nextInt(4)) {
        case 0 -> rows(r);
        case 1 -> row(r);
        case 2 -> new String(mutate(rows(r).encode()), StandardCharsets.UTF_8);
        default -> anyJson(2);
      });
    }
    for (Map.Entry<String, String> e : queryParams(r, true).entrySet()) {
      m.put(e.getKey(), random.nextInt(10) == 0 ? anyJson(1) : e.getValue());
    }
    if (random.nextInt(4) == 0) m.put("vector", vector(r));
    if (random.nextInt(4) == 0) m.put(pick(List.of("key", "value", "ttlSeconds", "ids", "noCache")),
        pick(List.of("k", 5, -1, true, new JsonArray().add(1), hostile())));
    return new BusProbe(address, m);
  }

  // ---- pieces ----

  private String queryString(String r, boolean reads) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : queryParams(r, reads).entrySet()) {
      if (sb.length() > 0) sb.append('&');
      sb.append(random.nextInt(20) == 0 ? e.getKey() : enc(e.getKey())).append('=')
          .append(random.nextInt(15) == 0 ? rawPercent(e.getValue()) : enc(e.getValue()));
    }
    if (random.nextInt(25) == 0) sb.append("&%zz=1&x=%");
    return sb.toString();
  }

  private Map<String, String> queryParams(String r, boolean reads) {
    Map<String, String> q = new LinkedHashMap<>();
    int filters = random.nextInt(4);
    for (int i = 0; i < filters; i++) q.put(field(r), filterSpec(r));
    if (reads) {
      if (random.nextInt(3) == 0) q.put("select", selection(r));
      if (random.nextInt(3) == 0) q.put("order", order(r));
      if (random.nextInt(3) == 0) q.put("limit", pick(List.of("1", "20", "0", "-1", "1001", "abc", "1e3", "99999999999")));
      if (random.nextInt(5) == 0) q.put("after", cursor(r));
      if (random.nextInt(6) == 0) q.put("page", pick(List.of("1", "2", "0", "-1", "x", "100000")));
      if (random.nextInt(6) == 0) q.put("count", pick(List.of("exact", "estimated", "none", "planned", "")));
      if (random.nextInt(10) == 0) q.put("offset", pick(List.of("5", "-5", "x")));
    }
    return q;
  }

  private JsonObject filterObject(String r) {
    JsonObject o = new JsonObject();
    int n = random.nextInt(3);
    for (int i = 0; i < n; i++) o.put(field(r), random.nextInt(8) == 0 ? anyJson(1) : filterSpec(r));
    return o;
  }

  private String filterSpec(String r) {
    String op = pick(OPS);
    String value = switch (op) {
      case "in", "not.in" -> "(" + String.join(",", values(random.nextInt(4))) + ")";
      case "is" -> pick(List.of("null", "not_null", "true", "false", "unknown", "maybe", ""));
      case "like", "ilike", "not.like" -> pick(List.of("*roof*", "a%", "*\\", "\\", "abc\\\\", "_", hostile()));
      default -> value();
    };
    return random.nextInt(30) == 0 ? value : op + "." + value;
  }

  private List<String> values(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(value());
    return out;
  }

  /** A filter value: a plausible one or a hostile one. */
  private String value() {
    return random.nextBoolean() ? hostile() : pick(List.of("1", "2", "3", "new", "lost", "web", "2025-01-01",
        "2025-01-01T00:00:00Z", "true", "1.25", "00000000-0000-0000-0000-000000000001", "Solar install #1"));
  }

  private String selection(String r) {
    if (random.nextInt(5) == 0) return hostile();
    List<String> parts = new ArrayList<>();
    int n = 1 + random.nextInt(3);
    for (int i = 0; i < n; i++) parts.add(field(r));
    if (random.nextInt(5) == 0) parts.add(pick(List.of("customer(id,name)", "leads(id,title)", "customer(", "leads()",
        "customer(leads(id))", "nope(id)", "customer(*)", "*")));
    return String.join(pick(List.of(",", ",", ", ", ",,")), parts);
  }

  private String order(String r) {
    return pick(List.of(".", "..", ",", "id", "id.desc", "created_at.desc", "priority.asc,id", "id.sideways", "nope",
        ".desc", "id.desc.nullsfirst", field(r) + "." + pick(List.of("asc", "desc", "x", "")), "id,id", hostile()));
  }

  /** A cursor: garbage, or well-formed base64 JSON with forged fields of wrong types. */
  private String cursor(String r) {
    if (random.nextInt(3) == 0) return hostile();
    JsonObject c = new JsonObject();
    c.put("r", random.nextInt(5) == 0 ? anyJson(1) : r);
    c.put("o", random.nextInt(4) == 0 ? anyJson(1) : "id.asc");
    c.put("f", random.nextInt(4) == 0 ? anyJson(1) : Integer.toHexString("{}".hashCode()));
    c.put("v", random.nextInt(3) == 0 ? anyJson(1) : new JsonArray().add(random.nextBoolean() ? hostile() : anyJson(0)));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(c.encode().getBytes(StandardCharsets.UTF_8));
  }

  private JsonArray rows(String r) {
    JsonArray a = new JsonArray();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) a.add(random.nextInt(10) == 0 ? anyJson(1) : row(r));
    return a;
  }

  /** A row: real fields (sometimes a bogus one) with plausible or hostile values of any JSON type. */
  private JsonObject row(String r) {
    JsonObject o = new JsonObject();
    int n = random.nextInt(5);
    for (int i = 0; i < n; i++) o.put(random.nextInt(12) == 0 ? hostile() : field(r), scalar());
    if (random.nextInt(3) == 0) o.put("title", "fuzz " + random.nextInt(1000));
    if (r.equals("fuzz") && random.nextInt(3) == 0) o.put("embedding", vector(r));
    return o;
  }

  private Object scalar() {
    return switch (random.nextInt(8)) {
      case 0 -> hostile();
      case 1 -> pick(List.of(0, 1, -1, 3, 5, 32768, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE));
      case 2 -> pick(List.of(0.5, -0.0, 1e308, 1e-308, 3.4e38, 3.5e38));
      case 3 -> new java.math.BigDecimal(pick(List.of("1e999999", "1e-999999", "123456789012345678901234567890.5",
          "99999999999999999999")));
      case 4 -> pick(List.of(true, false));
      case 5 -> anyJson(2);
      case 6 -> null;
      default -> pick(List.of("new", "won", "2025-06-01T10:00:00Z", "2025-06-01", "00000000-0000-0000-0000-000000000002",
          "x@example.com"));
    };
  }

  private Object vector(String r) {
    int dims = r.equals("fuzz") ? 3 : 384;
    return switch (random.nextInt(7)) {
      case 0 -> zeros(dims);
      case 1 -> zeros(random.nextInt(3) == 0 ? 0 : dims + pick(List.of(-1, 1)));
      case 2 -> anyJson(1);
      case 3 -> {
        JsonArray a = ones(dims);
        a.set(random.nextInt(dims), pick(List.of("NaN", "x", 1e39, new JsonArray(), "Infinity")));
        yield a;
      }
      default -> ones(dims);
    };
  }

  private static JsonArray zeros(int n) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) a.add(0);
    return a;
  }

  private JsonArray ones(int n) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < n; i++) a.add(random.nextDouble() - 0.5);
    return a;
  }

  /** Any JSON value up to a depth. */
  private Object anyJson(int depth) {
    int k = random.nextInt(depth <= 0 ? 4 : 6);
    return switch (k) {
      case 0 -> hostile();
      case 1 -> pick(List.of(0, -1, 1.5, Long.MAX_VALUE, 1e300));
      case 2 -> pick(List.of(true, false));
      case 3 -> "v" + random.nextInt(10);
      case 4 -> {
        JsonArray a = new JsonArray();
        for (int i = random.nextInt(3); i > 0; i--) a.add(anyJson(depth - 1));
        yield a;
      }
      default -> {
        JsonObject o = new JsonObject();
        for (int i = random.nextInt(3); i > 0; i--) o.put(pick(List.of("a", "id", "title", hostile())), anyJson(depth - 1));
        yield o;
      }
    };
  }

  private byte[] ndjson(String r) {
    StringBuilder sb = new StringBuilder();
    int n = random.nextInt(5);
    for (int i = 0; i < n; i++) {
      sb.append(switch (random.nextInt(12)) {
        case 0 -> "// a comment";
        case 1 -> "/* c */ {\"title\": \"x\"}";
        case 2 -> "";
        case 3 -> "   \t";
        case 4 -> "{\"title\": \"a\"} {\"title\": \"b\"}";
        case 5 -> "[1,2]";
        case 6 -> "{\"title\": \"dup\", \"title\": \"dup2\"}";
        case 7 -> "{\"title\": \"\\ud800\"}";
        default -> row(r).encode();
      });
      sb.append(random.nextInt(6) == 0 ? "\r\n" : "\n");
    }
    return mutate(sb.toString());
  }

  private byte[] jsonBody(Supplier<Object> value) {
    Object v = value.get();
    String text = v instanceof JsonObject o ? o.encode() : v instanceof JsonArray a ? a.encode()
        : io.vertx.core.json.Json.encode(v);
    return mutate(text);
  }

  /** Sometimes breaks a JSON text: comments, duplicate keys, lone surrogates, huge exponents, truncation, garbage. */
  private byte[] mutate(String json) {
    String s = json;
    switch (random.nextInt(16)) {
      case 0 -> s = "/* c */" + s;
      case 1 -> s = s + "// trailing";
      case 2 -> s = s.replaceFirst("\\{", "{\"title\":\"a\",\"title\":\"b\",");
      case 3 -> s = s.replaceFirst("\\{", "{\"title\":\"\\\\ud800x\",");
      case 4 -> s = s.replaceFirst("\\{", "{\"priority\":1e999999999,\"amount\":-1E-999999999,");
      case 5 -> s = s.isEmpty() ? s : s.substring(0, random.nextInt(s.length()));
      case 6 -> s = s + pick(List.of("]", "}", ",", " x", "\u0000"));
      case 7 -> s = s.replace("\"", "'");
      case 8 -> s = "[".repeat(2000) + "]".repeat(2000);
      case 9 -> s = pick(List.of("", "null", "true", "0", "\"s\"", "NaN", "{", "[", "\uFEFF" + s));
      default -> { }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Map<String, String> headers(String contentType) {
    Map<String, String> h = new LinkedHashMap<>();
    if (contentType != null) {
      h.put("Content-Type", random.nextInt(12) == 0 ? pick(List.of("text/plain", "application/x-www-form-urlencoded",
          "application/json; charset=utf-16", "application/x-ndjson", "application/json")) : contentType);
    }
    if (random.nextInt(10) == 0) h.put("Idempotency-Key", "fuzz-" + random.nextInt(50));
    if (random.nextInt(15) == 0) h.put("Cache-Control", "no-cache");
    return h;
  }

  private Map<String, String> changeHeaders() {
    return random.nextBoolean() ? Map.of() : Map.of("Last-Event-ID", pick(List.of("x", "node-1", "-1", "abc-99999999999999999999",
        hostileAscii())));
  }

  private HttpProbe http(String method, String path, String key, Map<String, String> headers, byte[] body) {
    return new HttpProbe(method, path, key, headers, body);
  }

  private String resource() {
    return random.nextInt(15) == 0 ? pick(List.of("nope", "sluice_idempotency", "pg_class", "LEADS", "leads;", "")) : pick(RESOURCES);
  }

  private String field(String r) {
    List<String> f = FIELDS.getOrDefault(r, FIELDS.get("leads"));
    return random.nextInt(10) == 0 ? pick(List.of("nope", "xmin", "ctid", "org_id", "id;", "ID", hostile())) : pick(f);
  }

  private String key() {
    return random.nextInt(12) == 0 ? pick(List.of("nope", "")) : pick(KEYS);
  }

  private String writer() {
    return random.nextInt(8) == 0 ? pick(List.of("demo-reader", "demo-reader-2", "nope")) : pick(List.of("demo-writer", "demo-admin"));
  }

  private String hostile() {
    return pick(HOSTILE);
  }

  private String hostileEncoded() {
    return enc(hostile());
  }

  private String hostileAscii() {
    String s = hostile();
    return s.chars().allMatch(c -> c >= 32 && c < 127) ? s : "x";
  }

  private <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  private String seg(String s) {
    return s.isEmpty() ? s : enc(s);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The value percent-encoded except for its % signs, which then start broken escapes. */
  private static String rawPercent(String s) {
    return enc(s).replace("%25", "%");
  }

  static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "...(" + s.length() + " chars)" : s;
  }
}
