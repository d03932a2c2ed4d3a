package dev.sluice.config;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.catalog.ResourceSpec.Kind;
import dev.sluice.catalog.ResourceSpec.Metric;
import dev.sluice.catalog.ResourceSpec.RelationSpec;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.catalog.WritePolicy;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The whole configuration, typed and validated. Built once at start; immutable. */
public record SluiceConfig(
    Http http,
    Pg pg,
    Redis redis,
    Cache cache,
    Reads reads,
    Demo demo,
    ApiKeys apiKeys,
    List<ResourceSpec> resources,
    SloSettings slo,
    Writes writes,
    int eventLoops,
    JsonObject raw) {

  public record Http(String host, int port, int instances, long bodyLimitBytes, int requestTimeoutMs, int shutdownGraceMs,
                     boolean inProcess, boolean hotReads) {
    /** HTTP verticles deployed: one per event loop unless configured (resolved when the configuration is read). */
    public int verticles() {
      return instances;
    }
  }

  /**
   * Verticle instances for a configured count, 0 meaning one per event loop. HTTP, Postgres and search
   * verticles all count this way, so with the defaults every loop holds one of each and an HTTP request
   * finds the data verticle it calls in-process on its own loop (bus.LocalCalls).
   */
  public static int onePerEventLoop(int configured, int eventLoops) {
    return configured > 0 ? configured : eventLoops;
  }

  /**
   * The event loops of the gateway's Vert.x: as configured, or one per core (0). Vert.x's own default is
   * two per core; one per core measured 1.25–1.5 × the uncached point reads and 1.4–1.55 × the uncached
   * keyset pages on two cores (fewer, busier loops coalesce more per statement and switch less; results
   * 2026-12-02-s5-reads.md). Cores as Vert.x counts them (its default is twice that), container limits included.
   */
  public static int eventLoops(int configured) {
    return configured > 0 ? configured : Math.max(1, io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE / 2);
  }

  /**
   * @param pointPoolSize connections per verticle instance of the point-read client (generic plans, see Database)
   * @param pagePlanCacheMode PostgreSQL's plan_cache_mode for the page statements (see Database#pageClient)
   * @param pgbouncer {@code url} goes through a transaction pooler (PgBouncer in transaction mode): no session
   *     settings at connect, unnamed statements, settings per transaction (see Database)
   * @param directUrl straight to PostgreSQL, for start-up and maintenance work that needs a session of its own
   *     (migrations, schema checks, the demo load, database gauges); empty: {@code url}
   */
  public record Pg(String url, int verticleInstances, int poolSize, int pointPoolSize, PlanCacheMode pagePlanCacheMode,
                   int pipeliningLimit, int maxWaitQueueSize,
                   int connectionTimeoutMs, int statementTimeoutMs, int preparedStatementCacheSize, Replicas replicas,
                   boolean pgbouncer, String directUrl) {
    /** Postgres verticles deployed: one per event loop unless configured (resolved when the configuration is read). */
    public int instances() {
      return verticleInstances;
    }

    /** Connections each Postgres verticle opens to one server: its page client's and its point client's. */
    public int connectionsPerVerticle() {
      return poolSize + pointPoolSize;
    }
  }

  /** PostgreSQL's plan_cache_mode values. */
  public enum PlanCacheMode {
    AUTO, FORCE_GENERIC_PLAN, FORCE_CUSTOM_PLAN;

    /** The setting's value as PostgreSQL spells it. */
    public String setting() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Streaming replicas that serve reads. {@code pollMs}: how often each one's replay position is
   * read; {@code maxLagMs}: a replica further behind than this is skipped, and a client's reads go
   * to the primary for at most this long after its write while no replica has replayed it.
   */
  public record Replicas(List<String> urls, int pollMs, int maxLagMs) {}

  public record Redis(String url, int poolSize, int maxWaiting, int timeoutMs) {}

  public record Cache(int l1MaxEntries, String keyPrefix, int l1MaxAgeMs) {}

  /** @param embedMaxRows the most rows one to-many embed returns (a request's {@code <relation>.limit} above it: 400) */
  public record Reads(int defaultLimit, int maxLimit, int maxOffset, int coalesceMaxBatch, int embedMaxRows) {}

  public record Demo(boolean load, int leads, String documentsPath, int documentsLimit) {}

  /**
   * The write path (bulk, patch, delete, batch). A buffered JSON body is bounded by http.bodyLimitBytes and
   * {@code maxRows}; an NDJSON stream by {@code maxStreamBytes}, {@code maxStreamRows}, {@code maxLineBytes} and
   * {@code streamTimeoutMs}. Rows are written {@code chunkRows} (or {@code chunkBytes} of input) at a time.
   */
  public record Writes(int verticleInstances, int poolSize, int maxRows, long maxStreamRows, long maxStreamBytes,
                       int maxLineBytes, int chunkRows, int chunkBytes, int maxBatchOperations,
                       int idempotencyTtlSeconds, int changeIdsCap, int streamTimeoutMs, Admission admission) {}

  /**
   * Fair admission of writes, per gateway node: NDJSON uploads hold a connection of their own pool
   * ({@code uploadPoolSize}, shared by the write verticles, apart from the pools of the other
   * writes) for their whole length, so they are bounded per key and per tenant; every write
   * (uploads included) is bounded per key and per tenant too. Past a bound: 429 + Retry-After.
   * A streamed body must arrive at {@code minUploadBytesPerSecond} over every
   * {@code uploadRateWindowMs} window (time the gateway itself holds it back does not count): 408.
   */
  public record Admission(int uploadPoolSize, int maxUploadsPerKey, int maxUploadsPerTenant, int maxWritesPerKey,
                          int maxWritesPerTenant, int minUploadBytesPerSecond, int uploadRateWindowMs) {}

  /** SQL identifiers accepted in the catalog: plain lower-case names, nothing that needs quoting. */
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public static SluiceConfig from(JsonObject json) {
    Settings root = new Settings("", json);
    int eventLoops = eventLoops(root.integer("eventLoops", 0, 0, 256));
    Settings h = root.child("http");
    Http http = new Http(
        h.string("host", "0.0.0.0"),
        h.integer("port", 8080, 1, 65535),
        onePerEventLoop(h.integer("instances", 0, 0, 256), eventLoops),
        h.number("bodyLimitBytes", 10L << 20),
        h.integer("requestTimeoutMs", 30000, 100, 3_600_000),
        h.integer("shutdownGraceMs", 10000, 0, 600_000),
        h.bool("inProcess", true),
        h.bool("hotReads", true));
    if (http.bodyLimitBytes() < 1024) throw new ConfigException("http.bodyLimitBytes: must be at least 1024");

    Settings p = root.child("pg");
    Pg pg = new Pg(
        p.string("url", null),
        onePerEventLoop(p.integer("verticleInstances", 0, 0, 64), eventLoops),
        p.integer("poolSize", 2, 1, 500),
        p.integer("pointPoolSize", 1, 1, 500),
        p.choice("pagePlanCacheMode", "force_generic_plan", PlanCacheMode.class, "force_generic_plan, auto or force_custom_plan"),
        p.integer("pipeliningLimit", 256, 1, 100_000),
        p.integer("maxWaitQueueSize", 512, 0, 1_000_000),
        p.integer("connectionTimeoutMs", 2000, 1, 600_000),
        p.integer("statementTimeoutMs", 5000, 1, 3_600_000),
        p.integer("preparedStatementCacheSize", 512, 0, 100_000),
        replicas(p.child("replicas")),
        p.bool("pgbouncer", false),
        java.util.Objects.requireNonNullElse(p.optionalString("directUrl"), ""));
    checkUrl("pg.url", pg.url(), "postgresql", "postgres");
    if (!pg.directUrl().isEmpty()) checkUrl("pg.directUrl", pg.directUrl(), "postgresql", "postgres");
    if (pg.pgbouncer() && pg.directUrl().isEmpty()) {
      throw new ConfigException("pg.directUrl: is required with pg.pgbouncer (migrations, the demo load and the "
          + "database gauges need a session of their own, straight to PostgreSQL)");
    }

    Settings r = root.child("redis");
    Redis redis = new Redis(
        r.string("url", null),
        r.integer("poolSize", 32, 1, 1000),
        r.integer("maxWaiting", 512, 1, 1_000_000),
        r.integer("timeoutMs", 250, 1, 60_000));
    checkUrl("redis.url", redis.url(), "redis", "rediss");

    Settings c = root.child("cache");
    Cache cache = new Cache(c.integer("l1MaxEntries", 100_000, 0, 100_000_000), c.string("keyPrefix", "sluice:"),
        c.integer("l1MaxAgeMs", 1000, 0, 3_600_000));

    Settings rd = root.child("reads");
    Reads reads = new Reads(
        rd.integer("defaultLimit", 20, 1, 100_000),
        rd.integer("maxLimit", 1000, 1, 100_000),
        rd.integer("maxOffset", 10_000, 0, 100_000_000),
        rd.integer("coalesceMaxBatch", 256, 1, 10_000),
        rd.integer("embedMaxRows", 100, 1, 100_000));
    if (reads.defaultLimit() > reads.maxLimit()) {
      throw new ConfigException("reads.defaultLimit: must not exceed reads.maxLimit (" + reads.maxLimit() + ")");
    }

    Settings d = root.child("demo");
    Demo demo = new Demo(
        d.bool("load", true),
        d.integer("leads", 100_000, 0, 100_000_000),
        d.string("documentsPath", "../shared/data/debian-minilm"),
        d.integer("documentsLimit", 0, 0, 100_000_000));

    ApiKeys keys = apiKeys(root.child("auth"));
    List<ResourceSpec> resources = resources(root.child("resources"), reads.maxLimit());
    SloSettings slo = SloSettings.from(root.child("slo"));
    Writes writes = writes(root.child("writes"));
    // Validated here with the rest; read where they are used (JwtSettings.from, RateLimitSettings.from).
    JwtSettings.from(root.child("auth").child("jwt"));
    RateLimitSettings.from(root.child("rateLimits"));
    return new SluiceConfig(http, pg, redis, cache, reads, demo, keys, resources, slo, writes, eventLoops, json);
  }

  private static Replicas replicas(Settings r) {
    List<String> urls = new ArrayList<>();
    for (String u : r.strings("urls")) if (!u.isEmpty()) urls.add(u);
    for (int i = 0; i < urls.size(); i++) checkUrl(r.key("urls") + "[" + i + "]", urls.get(i), "postgresql", "postgres");
    return new Replicas(List.copyOf(urls), r.integer("pollMs", 100, 10, 60_000), r.integer("maxLagMs", 1000, 10, 3_600_000));
  }

  private static Writes writes(Settings w) {
    Writes writes = new Writes(
        w.integer("verticleInstances", 2, 1, 64),
        w.integer("poolSize", 4, 1, 500),
        w.integer("maxRows", 10_000, 1, 10_000_000),
        w.number("maxStreamRows", 10_000_000L),
        w.number("maxStreamBytes", 4L << 30),
        w.integer("maxLineBytes", 1 << 20, 1024, 256 << 20),
        w.integer("chunkRows", 1000, 1, 100_000),
        w.integer("chunkBytes", 1 << 20, 1024, 256 << 20),
        w.integer("maxBatchOperations", 100, 1, 10_000),
        w.integer("idempotencyTtlSeconds", 86_400, 60, 30 * 86_400),
        w.integer("changeIdsCap", 1000, 0, 100_000),
        w.integer("streamTimeoutMs", 600_000, 1000, 86_400_000),
        new Admission(
            w.integer("uploadPoolSize", 4, 1, 500),
            w.integer("maxUploadsPerKey", 2, 1, 10_000),
            w.integer("maxUploadsPerTenant", 2, 1, 10_000),
            w.integer("maxWritesPerKey", 16, 1, 100_000),
            w.integer("maxWritesPerTenant", 32, 1, 100_000),
            w.integer("minUploadBytesPerSecond", 1024, 0, 1 << 30),
            w.integer("uploadRateWindowMs", 10_000, 100, 3_600_000)));
    if (writes.maxStreamRows() < 1) throw new ConfigException(w.key("maxStreamRows") + ": must be at least 1");
    if (writes.maxStreamBytes() < 1024) throw new ConfigException(w.key("maxStreamBytes") + ": must be at least 1024");
    return writes;
  }

  private static void checkUrl(String key, String url, String... schemes) {
    try {
      URI uri = new URI(url);
      if (uri.getScheme() == null || !List.of(schemes).contains(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException(key + ": must be a URL like " + schemes[0] + "://host:port/...");
      }
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key + ": is not a valid URL");
    }
  }

  private static ApiKeys apiKeys(Settings auth) {
    Map<String, Principal> byKey = new LinkedHashMap<>();
    for (Settings k : auth.objects("keys")) {
      String key = k.string("key", null);
      String roleName = k.string("role", null);
      Role role;
      try {
        role = Role.valueOf(roleName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(k.key("role") + ": must be reader, writer or admin, got '" + roleName + "'");
      }
      long tenant = k.number("tenant", -1);
      if (tenant < 0) throw new ConfigException(k.key("tenant") + ": is required and must be >= 0");
      if (byKey.put(key, Principal.forApiKey(key, tenant, role)) != null) {
        throw new ConfigException(k.key("key") + ": is declared twice");
      }
    }
    return new ApiKeys(byKey);
  }

  private static List<ResourceSpec> resources(Settings all, int globalMaxLimit) {
    List<ResourceSpec> out = new ArrayList<>();
    for (String name : all.names()) {
      Settings s = all.child(name);
      identifier(s.key(""), name);
      String table = identifier(s.key("table"), s.string("table", name));
      String pk = identifier(s.key("primaryKey"), s.string("primaryKey", "id"));
      String tenant = s.optionalString("tenantColumn");
      if (tenant != null) identifier(s.key("tenantColumn"), tenant);
      List<String> fields = s.strings("fields");
      if (fields.isEmpty()) throw new ConfigException(s.key("fields") + ": must list at least one field");
      Set<String> fieldSet = new HashSet<>();
      for (String f : fields) {
        identifier(s.key("fields"), f);
        if (!fieldSet.add(f)) throw new ConfigException(s.key("fields") + ": '" + f + "' is listed twice");
      }
      if (!fieldSet.contains(pk)) throw new ConfigException(s.key("fields") + ": must include the primary key '" + pk + "'");
      List<String> sortable = s.strings("sortable");
      for (String f : sortable) {
        if (!fieldSet.contains(f)) throw new ConfigException(s.key("sortable") + ": '" + f + "' is not an exposed field");
      }
      List<String> fullText = s.strings("fullText");
      for (String f : fullText) {
        if (!fieldSet.contains(f)) throw new ConfigException(s.key("fullText") + ": '" + f + "' is not an exposed field");
      }
      Map<String, RelationSpec> relations = new LinkedHashMap<>();
      Settings rels = s.child("relations");
      for (String relName : rels.names()) {
        Settings rs = rels.child(relName);
        identifier(rs.key(""), relName);
        if (fieldSet.contains(relName)) throw new ConfigException(rs.key("") + ": has the name of a field");
        String kindName = rs.string("kind", null);
        Kind kind;
        try {
          kind = Kind.valueOf(kindName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(rs.key("kind") + ": must be one or many, got '" + kindName + "'");
        }
        relations.put(relName, new RelationSpec(relName, rs.string("resource", null), kind,
            identifier(rs.key("column"), rs.string("column", null)), rs.integer("limit", 20, 1, 1000)));
      }
      Map<String, VectorSpec> vectors = new LinkedHashMap<>();
      Settings vs = s.child("vectors");
      for (String col : vs.names()) {
        if (!fieldSet.contains(col)) throw new ConfigException(vs.key(col) + ": is not an exposed field");
        Settings v = vs.child(col);
        String metricName = v.string("metric", "cosine");
        Metric metric = switch (metricName.toLowerCase(Locale.ROOT)) {
          case "cosine" -> Metric.COSINE;
          case "l2" -> Metric.L2;
          case "ip", "inner_product" -> Metric.INNER_PRODUCT;
          default -> throw new ConfigException(v.key("metric") + ": must be cosine, l2 or inner_product, got '" + metricName + "'");
        };
        int dimensions = v.integer("dimensions", 0, 1, 16000);
        String model = v.optionalString("model");
        if (model != null) {
          Integer modelDims = dev.sluice.embed.EmbeddingModels.dimensions(model);
          if (modelDims == null) {
            throw new ConfigException(v.key("model") + ": unknown model '" + model + "'; known: "
                + dev.sluice.embed.EmbeddingModels.names());
          }
          if (modelDims != dimensions) {
            throw new ConfigException(v.key("model") + ": " + model + " makes vectors of " + modelDims
                + " dimensions, but the column is declared with " + dimensions);
          }
        }
        String source = v.optionalString("source");
        if (source != null && !fieldSet.contains(source)) {
          throw new ConfigException(v.key("source") + ": '" + source + "' is not an exposed field");
        }
        if (source != null && model == null) throw new ConfigException(v.key("source") + ": needs a model to embed it with");
        String indexName = v.string("index", "vector");
        ResourceSpec.IndexKind index;
        try {
          index = ResourceSpec.IndexKind.valueOf(indexName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(v.key("index") + ": must be vector, halfvec or binary, got '" + indexName + "'");
        }
        vectors.put(col, new VectorSpec(col, dimensions, metric, model, source, index, v.integer("rerank", 4, 1, 100)));
      }
      out.add(new ResourceSpec(name, table, pk, tenant, List.copyOf(fields), List.copyOf(sortable),
          relations, List.copyOf(fullText), vectors,
          s.integer("cacheTtlSeconds", 60, 0, 86_400 * 30),
          s.integer("maxLimit", globalMaxLimit, 1, globalMaxLimit),
          StorageSettings.view(s), StorageSettings.partitioning(s, table, fieldSet), writePolicy(s, tenant, pk)));
    }
    // Relations must point at declared resources.
    Set<String> names = new HashSet<>();
    out.forEach(r -> names.add(r.name()));
    for (ResourceSpec r : out) {
      for (RelationSpec rel : r.relations().values()) {
        if (!names.contains(rel.resource())) {
          throw new ConfigException("resources." + r.name() + ".relations." + rel.name()
              + ".resource: '" + rel.resource() + "' is not a declared resource");
        }
      }
    }
    return List.copyOf(out);
  }

  /** {@code writeRole} (default: admin for shared resources, writer for tenant-scoped ones) and {@code touchOnUpdate}. */
  private static WritePolicy writePolicy(Settings s, String tenant, String pk) {
    WritePolicy dflt = WritePolicy.defaultFor(tenant);
    String roleName = s.optionalString("writeRole");
    Role role = dflt.writeRole();
    if (roleName != null) {
      try {
        role = Role.valueOf(roleName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(s.key("writeRole") + ": must be reader, writer or admin, got '" + roleName + "'");
      }
    }
    List<String> touched = s.strings("touchOnUpdate");
    for (String c : touched) {
      identifier(s.key("touchOnUpdate"), c);
      if (c.equals(pk) || c.equals(tenant)) {
        throw new ConfigException(s.key("touchOnUpdate") + ": '" + c + "' is the primary key or the tenant column");
      }
    }
    return new WritePolicy(role, touched);
  }

  private static String identifier(String key, String value) {
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new ConfigException(key + ": '" + value + "' is not a plain lower-case SQL identifier");
    }
    return value;
  }
}
