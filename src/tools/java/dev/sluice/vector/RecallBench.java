package dev.sluice.vector;

import dev.sluice.tools.CliOptions;
import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.IndexKind;
import dev.sluice.catalog.SchemaVerifier;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.SluiceConfig;
import dev.sluice.sql.Filters;
import dev.sluice.sql.Selection;
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
 * reference), then for each ANN index of the column ({@code --index vector,halfvec,binary}, default
 * every one it has) the configured default (no efSearch in the request) and each efSearch given, and
 * prints recall@10 against dev-groundtruth.ivecs, p50/p95/p99 latency and throughput at a fixed
 * concurrency. With dev-queries.txt present it also searches with the query texts (the gateway
 * embeds them; recall must be that of the vectors) and times the model in-process, one query at a
 * time (embedding p50/p95), checking that its vectors of the texts are the data set's (cosine). In the same invocation it runs the very statement the gateway runs directly on
 * PostgreSQL (Vert.x pg client, prepared, ef_search set for the session as PGOPTIONS would), the
 * baseline, and prints the gateway/direct ratios.
 *
 * <pre>
 * java -cp target/sluice.jar dev.sluice.vector.RecallBench [--url http://127.0.0.1:8080]
 *     [--data ../shared/data/debian-minilm] [--ef 40,100,200,400] [--concurrency 8] [--rounds 3]
 *     [--key demo-reader] [--pg postgresql://postgres@127.0.0.1:55432/sluice] [--json FILE] [--no-direct]
 *     [--index all|vector,halfvec,binary] [--no-text] [--queries 200]
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
    // --queries N: the first N dev queries only (a quick check that the tool works, not a measurement)
    int first = Math.min(queries.length, Integer.parseInt(opts.get("queries")));
    queries = Arrays.copyOf(queries, first);
    truth = Arrays.copyOf(truth, first);
    RecallBench bench = new RecallBench(opts, queries, truth);
    Path textFile = data.resolve("dev-queries.txt");
    List<String> texts = !opts.containsKey("no-text") && Files.isReadable(textFile) ? Files.readAllLines(textFile) : null;

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
      bench.http(http, url, new Setting("warm-up", null, false, null, false), 1); // warm-up: caches, JIT, connections
      boolean withDirect = !opts.containsKey("no-direct");
      VectorIndexes.Column column = bench.column(vertx, config, settings);
      List<IndexKind> kinds = new ArrayList<>();
      for (String k : opts.get("index").split(",")) {
        if (k.isBlank()) continue;
        if (k.trim().equals("all")) {
          kinds.addAll(column.indexes().keySet());
        } else {
          IndexKind kind = IndexKind.valueOf(k.trim().toUpperCase(Locale.ROOT));
          if (!column.indexes().containsKey(kind)) throw new IllegalArgumentException("the column has no " + k + " index");
          kinds.add(kind);
        }
      }
      // Each setting through the gateway, then at once the same on PostgreSQL directly: the two
      // figures of a ratio are taken seconds apart, so the shared machine's drift mostly cancels.
      List<Setting> runs = new ArrayList<>();
      runs.add(new Setting("exact", null, true, null, false));
      for (IndexKind kind : kinds) {
        String label = kind.label() + (kind == column.spec().index() ? " (catalog)" : "");
        // the default is asked for without efSearch, as a client that names no knob would
        runs.add(new Setting(label + ", default ef " + dflt, null, false, kind, false));
        for (int ef : efs) runs.add(new Setting(label + ", ef " + ef, ef, false, kind, false));
      }
      List<String> statements = new ArrayList<>();
      for (Setting run : runs) {
        gateway.add(bench.http(http, url, run, bench.rounds).named(run.name()));
        if (withDirect) {
          Statements st = bench.statements(column, run);
          if (!statements.contains(st.sql())) statements.add(st.sql());
          direct.add(bench.direct(vertx, config, settings, st, run.ef(), run.exact(), bench.rounds).named(run.name()));
        }
      }
      if (texts != null) {
        if (texts.size() < queries.length) throw new IllegalArgumentException("dev-queries.txt has fewer lines than dev-queries.fvecs");
        bench.texts = texts.subList(0, queries.length);
        // one pass: later passes would be answered by the gateway's embedding cache
        gateway.add(bench.http(http, url, new Setting("text, catalog index, default ef " + dflt, null, false, null, true), 1)
            .named("text, catalog index, default ef " + dflt));
      }
      statements.forEach(st -> System.out.println("direct statement: " + st));
      print(gateway, direct);
      if (texts != null) bench.embeddingFigures();
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
    o.put("index", "all");
    o.put("queries", "200");
    o = CliOptions.parse(args, o, Set.of("no-direct", "no-text"));
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
  private Measured http(HttpClient client, URI base, Setting run, int passes) throws Exception {
    URI uri = base.resolve("/v1/" + RESOURCE + "/search");
    String[] bodies = new String[queries.length];
    for (int i = 0; i < queries.length; i++) {
      StringBuilder b = new StringBuilder("{");
      if (run.text()) b.append("\"text\":").append(io.vertx.core.json.Json.encode(texts.get(i)));
      else b.append("\"vector\":").append(VectorFiles.json(queries[i]));
      b.append(",\"k\":").append(K).append(",\"select\":\"id\"");
      if (run.ef() != null) b.append(",\"efSearch\":").append(run.ef());
      if (run.exact()) b.append(",\"exact\":true");
      if (run.kind() != null) b.append(",\"index\":\"").append(run.kind().label()).append('"');
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

  /** One row of the table: which index, which ef (null: the default), exact, or the query texts. */
  record Setting(String name, Integer ef, boolean exact, IndexKind kind, boolean text) {}

  /** The direct side of a setting: the gateway's statement and each query's parameters. */
  record Statements(String sql, Tuple[] params) {}

  private Catalog catalog;
  private List<String> texts;

  /** The documents' vector column as the gateway sees it (its indexes), from the same configuration and catalog. */
  private VectorIndexes.Column column(Vertx vertx, SluiceConfig config, VectorSettings settings) {
    Pool pool = pool(vertx, config, Map.of(), 1);
    try {
      catalog = await(SchemaVerifier.verify(pool, config.resources()));
      VectorIndexes.Columns columns = await(VectorIndexes.verify(pool, catalog, settings));
      return columns.byResource().get(RESOURCE).values().iterator().next();
    } finally {
      await(pool.close());
    }
  }

  /** The gateway's own statement for {@code select=id, k=10} with this setting's index, and each query's parameters. */
  private Statements statements(VectorIndexes.Column column, Setting run) {
    Resource r = catalog.require(RESOURCE);
    Tuple[] params = new Tuple[queries.length];
    String sql = null;
    for (int i = 0; i < queries.length; i++) {
      Float[] v = new Float[queries[i].length];
      for (int j = 0; j < v.length; j++) v[j] = queries[i][j];
      SearchRequest q = new SearchRequest(column, Selection.parse(catalog, r, "id"), Filters.parseQueryString(r, null),
          1, v, null, K, null, null, run.exact(), null, null, run.kind() == null ? column.spec().index() : run.kind());
      SearchSql.Statement s = SearchSql.search(q);
      sql = s.sql();
      params[i] = s.params().tuple();
    }
    return new Statements(sql, params);
  }

  /**
   * The model in this process, one query text at a time as a search embeds it: p50/p95 of the
   * 200 dev texts (after a warm-up pass), and how close its vectors are to the data set's.
   */
  private void embeddingFigures() {
    dev.sluice.embed.EmbeddingModels.Model model = dev.sluice.embed.EmbeddingModels.load("all-minilm-l6-v2");
    for (String t : texts) model.embed(List.of(t)); // warm-up
    long[] nanos = new long[texts.size()];
    double minCos = 1;
    double sumCos = 0;
    for (int i = 0; i < texts.size(); i++) {
      long t0 = System.nanoTime();
      float[] v = model.embed(List.of(texts.get(i))).get(0);
      nanos[i] = System.nanoTime() - t0;
      double dot = 0;
      for (int j = 0; j < v.length; j++) dot += v[j] * queries[i][j];
      minCos = Math.min(minCos, dot);
      sumCos += dot;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.println(String.format(Locale.ROOT,
        "embedding in-process (all-minilm-l6-v2, one text at a time, %d dev texts): p50 %.1f ms, p95 %.1f ms; "
            + "cosine to dev-queries.fvecs: min %.6f, mean %.6f",
        texts.size(), Measured.pct(sorted, 50), Measured.pct(sorted, 95), minCos, sumCos / texts.size()));
  }

  /** The same statement on PostgreSQL directly: one connection per concurrent client, ef_search for the session. */
  private Measured direct(Vertx vertx, SluiceConfig config, VectorSettings settings, Statements st, Integer ef,
                          boolean exact, int passes) {
    // the gateway's session settings (VectorClients), with this setting's ef_search
    Map<String, String> session = new LinkedHashMap<>();
    session.put("hnsw.iterative_scan", settings.iterativeScan());
    session.put("hnsw.max_scan_tuples", Integer.toString(settings.maxScanTuples()));
    session.put("hnsw.ef_search", Integer.toString(ef == null ? settings.efSearch().dflt() : ef));
    if (exact) session.put("enable_indexscan", "off");
    Pool pool = pool(vertx, config, session, concurrency);
    try {
      runDirect(pool, st.sql(), st.params(), 1); // warm-up: connections and prepared statements
      return runDirect(pool, st.sql(), st.params(), passes);
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
