package dev.sluice.vector;

import dev.sluice.tools.CliOptions;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.SchemaVerifier;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Filters;
import dev.sluice.data.Selection;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Recall and latency of vector search, measured. Runs the 200 dev queries of debian-minilm through
 * the gateway's HTTP API ({@code POST /v1/documents/search}) for exact search (index off, the
 * reference), the configured default (no efSearch in the request) and each efSearch given, and
 * prints recall@10 against dev-groundtruth.ivecs, p50/p95/p99 latency and throughput at a fixed
 * concurrency. In the same invocation it runs the very statement the gateway runs directly on
 * PostgreSQL (Vert.x pg client, prepared, ef_search set for the session as PGOPTIONS would), the
 * baseline, and prints the gateway/direct ratios.
 *
 * <pre>
 * java -cp target/sluice.jar dev.sluice.vector.RecallBench [--url http://127.0.0.1:8080]
 *     [--data ../shared/data/debian-minilm] [--ef 40,100,200,400] [--concurrency 8] [--rounds 3]
 *     [--key demo-reader] [--pg postgresql://postgres@127.0.0.1:55432/sluice] [--json FILE] [--no-direct]
 * </pre>
 * Run it from the repository root: it reads conf/sluice.yaml (or SLUICE_CONFIG, with the SLUICE_*
 * overrides) for the default ef_search and to build the gateway's own statement from the catalog.
 * Only a gateway on this machine (a loopback address) is accepted. The main thread blocks; this is
 * a tool, not a verticle.
 */
public final class RecallBench {
  private static final int K = 10;
  private static final String RESOURCE = "documents";

  private final Map<String, String> opts;
  private final float[][] queries;
  private final int[][] truth;
  private final int concurrency;
  private final int rounds;

  private RecallBench(Map<String, String> opts, float[][] queries, int[][] truth) {
    this.opts = opts;
    this.queries = queries;
    this.truth = truth;
    this.concurrency = Integer.parseInt(opts.get("concurrency"));
    this.rounds = Integer.parseInt(opts.get("rounds"));
  }

  /** One row of the table: a setting and what it gave. */
  record Result(String setting, double recall, double p50, double p95, double p99, double perSecond, int errors) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    URI url = URI.create(opts.get("url"));
    if (url.getHost() == null || !InetAddress.getByName(url.getHost()).isLoopbackAddress()) {
      System.err.println("recall-bench: --url must be a gateway on this machine (127.0.0.1), got " + url);
      System.exit(2);
    }
    Path data = Path.of(opts.get("data"));
    float[][] queries = VectorFiles.fvecs(data.resolve("dev-queries.fvecs"));
    int[][] truth = VectorFiles.ivecs(data.resolve("dev-groundtruth.ivecs"));
    RecallBench bench = new RecallBench(opts, queries, truth);

    List<Integer> efs = new ArrayList<>();
    for (String e : opts.get("ef").split(",")) if (!e.isBlank()) efs.add(Integer.parseInt(e.trim()));

    Vertx vertx = Vertx.vertx();
    try {
      SluiceConfig config = await(ConfigLoader.load(vertx, System.getenv(),
          new JsonObject().put("pg", new JsonObject().put("url", opts.get("pg")))));
      VectorSettings settings = VectorSettings.from(config);
      int dflt = settings.efSearch().dflt();
      header(args, bench, dflt);

      List<Result> gateway = new ArrayList<>();
      List<Result> direct = new ArrayList<>();
      // HTTP/1.1 as the load tests use; responses handled on the client's selector thread, not handed
      // to another pool, so the client adds as little as it can to what is measured
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).executor(Runnable::run).build();
      bench.http(http, url, null, false, 1); // warm-up: caches, JIT, connections
      boolean withDirect = !opts.containsKey("no-direct");
      String sql = withDirect ? bench.sql(vertx, config, settings) : null;
      // Each setting through the gateway, then at once the same on PostgreSQL directly: the two
      // figures of a ratio are taken seconds apart, so the shared machine's drift mostly cancels.
      List<Integer> settingsEf = new ArrayList<>();
      settingsEf.add(null); // exact
      settingsEf.add(dflt);
      settingsEf.addAll(efs);
      for (int i = 0; i < settingsEf.size(); i++) {
        boolean exact = i == 0;
        Integer ef = settingsEf.get(i);
        String name = exact ? "exact" : i == 1 ? "default (ef " + dflt + ")" : "ef " + ef;
        // the default is asked for without efSearch, as a client that names no knob would
        gateway.add(bench.http(http, url, exact || i == 1 ? null : ef, exact, bench.rounds).named(name));
        if (withDirect) direct.add(bench.direct(vertx, config, settings, sql, ef, exact, bench.rounds).named(name));
      }
      if (withDirect) System.out.println("direct statement: " + sql);
      print(gateway, direct);
      if (opts.get("json") != null) json(Path.of(opts.get("json")), args, bench, dflt, gateway, direct);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("url", "http://127.0.0.1:8080");
    o.put("data", "../shared/data/debian-minilm");
    o.put("ef", "40,100,200,400");
    o.put("concurrency", "8");
    o.put("rounds", "3");
    o.put("key", "demo-reader");
    o.put("pg", System.getenv().getOrDefault("SLUICE_PG_URL", "postgresql://postgres@127.0.0.1:55432/sluice"));
    o.put("json", null);
    o = CliOptions.parse(args, o, Set.of("no-direct"));
    int c = Integer.parseInt(o.get("concurrency"));
    int r = Integer.parseInt(o.get("rounds"));
    if (c < 1 || c > 64) throw new IllegalArgumentException("--concurrency must be 1..64");
    if (r < 1 || r > 100) throw new IllegalArgumentException("--rounds must be 1..100");
    return o;
  }

  private static void header(String[] args, RecallBench b, int dflt) throws Exception {
    System.out.println("recall-bench " + String.join(" ", args));
    System.out.println("machine: nproc " + Runtime.getRuntime().availableProcessors() + ", " + memTotal()
        + ", " + Instant.now());
    System.out.println(b.queries.length + " dev queries x " + b.rounds + " rounds, k " + K + ", concurrency "
        + b.concurrency + ", configured default ef_search " + dflt);
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.1f GiB RAM", kb / 1024.0 / 1024.0);
        }
      }
    } catch (Exception ignored) {
      // not Linux: leave it out
    }
    return "RAM unknown";
  }

  /** The searches through the gateway: {@code rounds} passes over the queries by {@code concurrency} threads. */
  private Measured http(HttpClient client, URI base, Integer ef, boolean exact, int passes) throws Exception {
    URI uri = base.resolve("/v1/" + RESOURCE + "/search");
    String[] bodies = new String[queries.length];
    for (int i = 0; i < queries.length; i++) {
      StringBuilder b = new StringBuilder("{\"vector\":").append(VectorFiles.json(queries[i]))
          .append(",\"k\":").append(K).append(",\"select\":\"id\"");
      if (ef != null) b.append(",\"efSearch\":").append(ef);
      if (exact) b.append(",\"exact\":true");
      bodies[i] = b.append('}').toString();
    }
    String key = opts.get("key");
    int total = queries.length * passes;
    long[] nanos = new long[total];
    AtomicReferenceArray<List<Long>> answers = new AtomicReferenceArray<>(queries.length);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<String> firstError = new AtomicReference<>();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long start = System.nanoTime();
    for (int t = 0; t < concurrency; t++) {
      pool.execute(() -> {
        for (int n = next.getAndIncrement(); n < total; n = next.getAndIncrement()) {
          int q = n % queries.length;
          HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(bodies[q])).build();
          long t0 = System.nanoTime();
          try {
            HttpResponse<String> res = client.send(req, HttpResponse.BodyHandlers.ofString());
            nanos[n] = System.nanoTime() - t0;
            if (res.statusCode() != 200) {
              errors.incrementAndGet();
              firstError.compareAndSet(null, res.statusCode() + " " + res.body());
              continue;
            }
            if (n < queries.length) answers.set(q, ids(new JsonObject(res.body()).getJsonArray("data")));
          } catch (Exception e) {
            nanos[n] = System.nanoTime() - t0;
            errors.incrementAndGet();
            firstError.compareAndSet(null, e.toString());
          }
        }
      });
    }
    pool.shutdown();
    if (!pool.awaitTermination(30, TimeUnit.MINUTES)) throw new IllegalStateException("gateway pass did not finish");
    long wall = System.nanoTime() - start;
    if (firstError.get() != null) System.err.println("gateway error (" + errors.get() + " in all): " + firstError.get());
    return new Measured(recall(answers), nanos, wall, errors.get());
  }

  /** The gateway's own statement for {@code select=id, k=10}, built from the same configuration and catalog. */
  private String sql(Vertx vertx, SluiceConfig config, VectorSettings settings) {
    Pool pool = pool(vertx, config, Map.of(), 1);
    try {
      Catalog catalog = await(SchemaVerifier.verify(pool, config.resources()));
      VectorIndexes.Columns columns = await(VectorIndexes.verify(pool, catalog, settings));
      Resource r = catalog.require(RESOURCE);
      VectorIndexes.Column column = columns.byResource().get(RESOURCE).values().iterator().next();
      SearchRequest q = new SearchRequest(column, Selection.parse(catalog, r, "id"), Filters.parseQueryString(r, null),
          1, new Float[column.spec().dimensions()], null, K, null, null, false);
      return SearchSql.search(q).sql();
    } finally {
      await(pool.close());
    }
  }

  /** The same statement on PostgreSQL directly: one connection per concurrent client, ef_search for the session. */
  private Measured direct(Vertx vertx, SluiceConfig config, VectorSettings settings, String sql, Integer ef,
                          boolean exact, int passes) {
    // the gateway's session settings (VectorClients), with this setting's ef_search
    Map<String, String> session = new LinkedHashMap<>();
    session.put("hnsw.iterative_scan", settings.iterativeScan());
    session.put("hnsw.max_scan_tuples", Integer.toString(settings.maxScanTuples()));
    session.put("hnsw.ef_search", Integer.toString(ef == null ? settings.efSearch().dflt() : ef));
    if (exact) session.put("enable_indexscan", "off");
    Pool pool = pool(vertx, config, session, concurrency);
    try {
      Tuple[] params = new Tuple[queries.length];
      for (int i = 0; i < queries.length; i++) {
        Float[] v = new Float[queries[i].length];
        for (int j = 0; j < v.length; j++) v[j] = queries[i][j];
        params[i] = Tuple.of(v, K);
      }
      runDirect(pool, sql, params, 1); // warm-up: connections and prepared statements
      return runDirect(pool, sql, params, passes);
    } finally {
      await(pool.close());
    }
  }

  private Measured runDirect(Pool pool, String sql, Tuple[] params, int passes) {
    int total = queries.length * passes;
    long[] nanos = new long[total];
    AtomicReferenceArray<List<Long>> answers = new AtomicReferenceArray<>(queries.length);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) loop(pool, sql, params, total, next, nanos, answers, errors, done);
    try {
      if (!done.await(30, TimeUnit.MINUTES)) throw new IllegalStateException("direct pass did not finish");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new Measured(recall(answers), nanos, System.nanoTime() - start, errors.get());
  }

  /** One closed-loop client: the next query is sent when the previous answer arrived. */
  private void loop(Pool pool, String sql, Tuple[] params, int total, AtomicInteger next, long[] nanos,
                    AtomicReferenceArray<List<Long>> answers, AtomicInteger errors, CountDownLatch done) {
    int n = next.getAndIncrement();
    if (n >= total) {
      done.countDown();
      return;
    }
    int q = n % queries.length;
    long t0 = System.nanoTime();
    pool.preparedQuery(sql).execute(params[q]).onComplete(ar -> {
      nanos[n] = System.nanoTime() - t0;
      if (ar.failed()) {
        if (errors.getAndIncrement() == 0) System.err.println("direct error: " + ar.cause());
      } else if (n < queries.length) {
        List<Long> ids = new ArrayList<>();
        for (Row row : ar.result()) ids.add(new JsonObject(row.getString(0)).getLong("id"));
        answers.set(q, ids);
      }
      loop(pool, sql, params, total, next, nanos, answers, errors, done);
    });
  }

  private Pool pool(Vertx vertx, SluiceConfig config, Map<String, String> session, int size) {
    PgConnectOptions o = PgConnectOptions.fromUri(config.pg().url()).setCachePreparedStatements(true)
        .setPipeliningLimit(1).addProperty("application_name", "sluice-recall-bench");
    session.forEach(o::addProperty);
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(size)).connectingTo(o).using(vertx).build();
  }

  private double recall(AtomicReferenceArray<List<Long>> answers) {
    double sum = 0;
    for (int q = 0; q < queries.length; q++) {
      List<Long> got = answers.get(q);
      if (got == null) continue;
      Set<Long> want = new HashSet<>();
      for (int j = 0; j < K; j++) want.add((long) truth[q][j]);
      int hit = 0;
      for (Long id : got) if (want.contains(id)) hit++;
      sum += hit / (double) K;
    }
    return sum / queries.length;
  }

  private static List<Long> ids(JsonArray data) {
    List<Long> out = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) out.add(data.getJsonObject(i).getLong("id"));
    return out;
  }

  /** Raw figures of one pass; {@link #named} turns them into a row. */
  private record Measured(double recall, long[] nanos, long wallNanos, int errors) {
    Result named(String setting) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      return new Result(setting, recall, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99),
          nanos.length / (wallNanos / 1e9), errors);
    }

    private static double pct(long[] sorted, int p) {
      int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }
  }

  private static void print(List<Result> gateway, List<Result> direct) {
    System.out.println();
    System.out.println("| setting | recall@10 | gateway p50 / p95 / p99 ms | gateway req/s | direct p50 / p95 / p99 ms "
        + "| direct q/s | req/s gateway ÷ direct | p95 gateway ÷ direct |");
    System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (int i = 0; i < gateway.size(); i++) {
      Result g = gateway.get(i);
      Result d = i < direct.size() ? direct.get(i) : null;
      System.out.println(String.format(Locale.ROOT, "| %s | %.3f%s | %.1f / %.1f / %.1f | %.0f | %s | %s | %s | %s |",
          g.setting(), g.recall(), d == null ? "" : String.format(Locale.ROOT, " (direct %.3f)", d.recall()),
          g.p50(), g.p95(), g.p99(), g.perSecond(),
          d == null ? "-" : String.format(Locale.ROOT, "%.1f / %.1f / %.1f", d.p50(), d.p95(), d.p99()),
          d == null ? "-" : String.format(Locale.ROOT, "%.0f", d.perSecond()),
          d == null ? "-" : String.format(Locale.ROOT, "%.2f", g.perSecond() / d.perSecond()),
          d == null ? "-" : String.format(Locale.ROOT, "%.2f", g.p95() / d.p95()))
          + (g.errors() + (d == null ? 0 : d.errors()) > 0 ? " errors: " + g.errors() + (d == null ? "" : "/" + d.errors()) : ""));
    }
  }

  /** The same figures as the table, for harnesses ({@code --json FILE}). */
  private static void json(Path file, String[] args, RecallBench b, int dflt, List<Result> gateway, List<Result> direct)
      throws java.io.IOException {
    JsonArray rows = new JsonArray();
    for (int i = 0; i < gateway.size(); i++) {
      JsonObject row = new JsonObject().put("setting", gateway.get(i).setting()).put("gateway", figures(gateway.get(i)));
      if (i < direct.size()) {
        Result d = direct.get(i);
        row.put("direct", figures(d))
            .put("throughputRatio", gateway.get(i).perSecond() / d.perSecond())
            .put("p95Ratio", gateway.get(i).p95() / d.p95());
      }
      rows.add(row);
    }
    JsonObject out = new JsonObject()
        .put("command", "RecallBench " + String.join(" ", args))
        .put("nproc", Runtime.getRuntime().availableProcessors())
        .put("memory", memTotal())
        .put("at", Instant.now().toString())
        .put("queries", b.queries.length).put("rounds", b.rounds).put("k", K).put("concurrency", b.concurrency)
        .put("defaultEfSearch", dflt)
        .put("rows", rows);
    Files.writeString(file, out.encodePrettily());
  }

  private static JsonObject figures(Result r) {
    return new JsonObject().put("recallAt10", r.recall()).put("p50Ms", r.p50()).put("p95Ms", r.p95())
        .put("p99Ms", r.p99()).put("perSecond", r.perSecond()).put("errors", r.errors());
  }

  /** Waits on the tool's own main thread (never an event loop): a command-line measurement, not a verticle. */
  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
