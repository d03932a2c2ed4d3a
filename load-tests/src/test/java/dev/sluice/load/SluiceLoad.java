package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;
import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What every simulation shares: the target (always 127.0.0.1, only the port can change), the
 * demo keys, the SLO targets of shared/TARGETS.md, bounded open-model injection, the demo data's
 * shape (lead n belongs to organization 1 + (n-1) % 4, so tenant 1 owns ids 1, 5, 9, ...), the
 * dev queries of debian-minilm, and the clean-up of rows the write simulations inserted.
 *
 * <p>System properties (all optional): {@code sluice.port} (or env {@code SLUICE_HTTP_PORT}, default
 * 8080), {@code sluice.rate} (users per second, each simulation has its own default),
 * {@code sluice.duration} (seconds at that rate), {@code sluice.ramp} (seconds of ramp before it),
 * {@code sluice.leads} (demo scale; detected when absent), {@code sluice.dataset} (debian-minilm folder),
 * {@code sluice.noCache} (send {@code Cache-Control: no-cache} on pages, default true).
 */
public final class SluiceLoad {
  /** Load goes to this machine only: the host is not configurable on purpose. */
  public static final String HOST = "127.0.0.1";
  public static final String READER = "Bearer demo-reader";
  public static final String WRITER = "Bearer demo-writer";
  /** Rows inserted by the simulations carry this title prefix, so the after() hook can delete exactly them. */
  public static final String TITLE_PREFIX = "loadtest-";

  /** SLO p95 targets (ms) of shared/TARGETS.md, from the seed guides. */
  public static final int SIMPLE_QUERY_P95_MS = 10;     // point read, simple page
  public static final int COMPLEX_QUERY_P95_MS = 100;   // page with filters + embedded relation
  public static final int SEMANTIC_SEARCH_P95_MS = 200; // ANN search
  public static final int BULK_INSERT_100_P95_MS = 500; // bulk insert of 100 rows
  public static final int READS_P95_MS = 100;           // all reads
  public static final int WRITES_P95_MS = 200;          // single writes, patch, delete
  public static final int AGGREGATIONS_P95_MS = 500;    // counts, exact totals
  public static final int BULK_P95_MS = 2000;           // bulk operations
  /** Error rate bound of the alert thresholds: failed requests stay under 1 %. */
  public static final double MAX_ERROR_PERCENT = 1.0;

  private static final String[] STATUSES = {"new", "contacted", "qualified", "won", "lost"};
  private static volatile Integer leads;

  private SluiceLoad() {}

  public static int port() {
    String p = System.getProperty("sluice.port", System.getenv().getOrDefault("SLUICE_HTTP_PORT", "8080"));
    int port = Integer.parseInt(p.trim());
    if (port < 1 || port > 65535) throw new IllegalArgumentException("sluice.port out of range: " + p);
    return port;
  }

  public static String baseUrl() {
    return "http://" + HOST + ":" + port();
  }

  public static HttpProtocolBuilder protocol() {
    return http.baseUrl(baseUrl())
        .acceptHeader("application/json")
        .userAgentHeader("sluice-load-tests")
        // Clients of a gateway keep a pool of keep-alive connections; one per virtual user would
        // measure TCP handshakes instead.
        .shareConnections();
  }

  public static double rate(double defaultRate) {
    return Double.parseDouble(System.getProperty("sluice.rate", Double.toString(defaultRate)));
  }

  public static int durationSeconds(int defaultSeconds) {
    return Integer.getInteger("sluice.duration", defaultSeconds);
  }

  public static int rampSeconds() {
    return Integer.getInteger("sluice.ramp", 5);
  }

  public static boolean noCache() {
    return Boolean.parseBoolean(System.getProperty("sluice.noCache", "true"));
  }

  /** A short ramp (JIT warm-up of both sides) and then a constant arrival rate: an open model. */
  public static OpenInjectionStep[] openModel(double usersPerSec, int seconds) {
    int ramp = rampSeconds();
    List<OpenInjectionStep> steps = new ArrayList<>();
    if (ramp > 0) steps.add(rampUsersPerSec(Math.max(1, usersPerSec / 10)).to(usersPerSec).during(Duration.ofSeconds(ramp)));
    steps.add(constantUsersPerSec(usersPerSec).during(Duration.ofSeconds(seconds)));
    return steps.toArray(OpenInjectionStep[]::new);
  }

  /** A hard bound on the whole run, whatever happens to the gateway. */
  public static Duration maxDuration(int seconds) {
    return Duration.ofSeconds(rampSeconds() + seconds + 30L);
  }

  public static void announce(String simulation, double rate, int seconds, String what) {
    System.out.printf(Locale.ROOT, "%s: %s at %.1f users/s for %d s (+%d s ramp) against %s%n",
        simulation, what, rate, seconds, rampSeconds(), baseUrl());
  }

  // ------------------------------------------------------------------ demo data

  /** The number of demo leads: -Dsluice.leads, else probed (1M if lead 999,997 exists, else 100k). */
  public static int leads() {
    Integer n = leads;
    if (n != null) return n;
    String given = System.getProperty("sluice.leads");
    if (given != null) {
      n = Integer.parseInt(given);
    } else {
      n = exists(999_997) ? 1_000_000 : 100_000;
      System.out.println("sluice: demo scale detected: " + n + " leads (override with -Dsluice.leads=N)");
    }
    leads = n;
    return n;
  }

  private static boolean exists(long leadId) {
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
      HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/leads/" + leadId))
          .header("Authorization", READER).header("Cache-Control", "no-cache").timeout(Duration.ofSeconds(5)).build();
      return client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("the gateway does not answer on " + baseUrl() + " (" + e + "); start it with ./sluice run", e);
    }
  }

  /** A random lead of tenant 1 (ids 1, 5, 9, ...). */
  public static long randomTenantLead() {
    return 4L * ThreadLocalRandom.current().nextInt(leads() / 4) + 1;
  }

  /** One of the first {@code n} leads of tenant 1: a small hot set that the cache keeps. */
  public static long hotTenantLead(int n) {
    return 4L * ThreadLocalRandom.current().nextInt(n) + 1;
  }

  public static String randomStatus() {
    return STATUSES[ThreadLocalRandom.current().nextInt(STATUSES.length)];
  }

  /**
   * A created_at inside the demo's time line (lead n was created at 2025-01-01 + 13 n seconds),
   * past the first 20,000 leads so a page before it is full.
   */
  public static String randomCreatedAt() {
    long n = 20_000 + ThreadLocalRandom.current().nextLong(Math.max(1, leads() - 20_000));
    return java.time.Instant.parse("2025-01-01T00:00:00Z").plusSeconds(13 * n).toString();
  }

  /** A customer of tenant 1 (customer c belongs to organization 1 + (c-1) % 4; there are leads/20). */
  public static long randomTenantCustomer() {
    return 4L * ThreadLocalRandom.current().nextInt(Math.max(1, leads() / 20 / 4)) + 1;
  }

  /** One new lead as JSON (the tenant column is the caller's: it is not sent). */
  public static String leadJson(String tag, int i) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "{\"customer_id\":" + randomTenantCustomer() + ",\"title\":\"" + TITLE_PREFIX + tag + " #" + i
        + "\",\"status\":\"" + randomStatus() + "\",\"priority\":" + (1 + r.nextInt(5)) + "}";
  }

  public static String leadsJsonArray(String tag, int rows) {
    StringBuilder sb = new StringBuilder(rows * 96).append('[');
    for (int i = 0; i < rows; i++) {
      if (i > 0) sb.append(',');
      sb.append(leadJson(tag, i));
    }
    return sb.append(']').toString();
  }

  public static String leadsNdjson(String tag, int rows) {
    StringBuilder sb = new StringBuilder(rows * 96);
    for (int i = 0; i < rows; i++) sb.append(leadJson(tag, i)).append('\n');
    return sb.toString();
  }

  // ------------------------------------------------------------------ debian-minilm

  /** The data set folder: -Dsluice.dataset, env SLUICE_DATASET, else shared/data/debian-minilm beside the repo. */
  public static Path dataset() {
    String given = System.getProperty("sluice.dataset", System.getenv("SLUICE_DATASET"));
    List<Path> candidates = new ArrayList<>();
    if (given != null) candidates.add(Path.of(given));
    candidates.add(Path.of("../../shared/data/debian-minilm"));   // from load-tests/
    candidates.add(Path.of("../shared/data/debian-minilm"));      // from the repo root
    for (Path p : candidates) if (Files.isRegularFile(p.resolve("dev-queries.fvecs"))) return p;
    throw new IllegalStateException("debian-minilm not found (tried " + candidates + "); pass -Dsluice.dataset=DIR");
  }

  /** .fvecs: per row an int32 dimension, then that many float32, little-endian. */
  public static float[][] readFvecs(Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int dim = in.getInt(0);
    float[][] rows = new float[in.capacity() / (4 + 4 * dim)][dim];
    for (float[] row : rows) {
      if (in.getInt() != dim) throw new IOException(file + ": a row with another dimension");
      for (int j = 0; j < dim; j++) row[j] = in.getFloat();
    }
    return rows;
  }

  /** The search request bodies of the 200 dev queries (k 10; efSearch only when -Dsluice.efSearch is set). */
  public static List<String> searchBodies() {
    try {
      float[][] queries = readFvecs(dataset().resolve("dev-queries.fvecs"));
      String ef = System.getProperty("sluice.efSearch");
      List<String> bodies = new ArrayList<>(queries.length);
      for (float[] q : queries) {
        StringBuilder sb = new StringBuilder(q.length * 12).append("{\"vector\":[");
        for (int j = 0; j < q.length; j++) {
          if (j > 0) sb.append(',');
          sb.append(q[j]);
        }
        sb.append("],\"k\":10,\"select\":\"id,package\"");
        if (ef != null) sb.append(",\"efSearch\":").append(Integer.parseInt(ef));
        bodies.add(sb.append('}').toString());
      }
      return bodies;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the dev queries: " + e, e);
    }
  }

  // ------------------------------------------------------------------ clean-up

  /**
   * Deletes the rows the simulations inserted (title prefix {@value #TITLE_PREFIX}) straight in
   * PostgreSQL, so a write simulation leaves the demo data as it found it. Only a database on this
   * machine is touched (SLUICE_PG_URL's host must be 127.0.0.1 or localhost).
   */
  public static void deleteInsertedRows() {
    String url = System.getenv().getOrDefault("SLUICE_PG_URL", "postgresql://postgres@127.0.0.1:55432/sluice");
    URI u = URI.create(url);
    if (!"127.0.0.1".equals(u.getHost()) && !"localhost".equals(u.getHost())) {
      System.out.println("sluice: not cleaning up: SLUICE_PG_URL is not on 127.0.0.1");
      return;
    }
    String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":", 2)[0];
    String jdbc = "jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getPath();
    try (Connection c = DriverManager.getConnection(jdbc, user, null); Statement s = c.createStatement()) {
      int n = s.executeUpdate("DELETE FROM leads WHERE title LIKE '" + TITLE_PREFIX + "%'");
      System.out.println("sluice: deleted " + n + " rows inserted by this simulation");
    } catch (Exception e) {
      System.out.println("sluice: could not delete the inserted rows (" + e.getMessage() + "); run: "
          + "psql " + url + " -c \"DELETE FROM leads WHERE title LIKE '" + TITLE_PREFIX + "%'\"");
    }
  }
}
