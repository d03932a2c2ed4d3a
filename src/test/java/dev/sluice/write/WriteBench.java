package dev.sluice.write;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A quick, bounded end-to-end measurement of the write path (not part of ./sluice test; the full
 * benchmark is load-tests/bench.sh): 100-row JSON bulk latency, a 100k-row NDJSON import against
 * {@code psql \copy} of the same rows into an identical table in the same run, and the heap while
 * a large NDJSON stream (size from -Dwrites.bench.mb, default 200) goes through. In-process: the
 * client and the gateway share the JVM, so the heap figure is an upper bound for the gateway.
 * Run: {@code ./sluice test -Dtest=WriteBench}.
 */
@DisplayName("Write path, measured end to end")
class WriteBench {
  @Test
  void measure() throws Exception {
    TestGateway gw = Http.await(TestGateway.start("writebench", new JsonObject()
        .put("demo", new JsonObject().put("leads", 100).put("documentsLimit", 10))
        .put("writes", new JsonObject().put("maxStreamRows", 100_000_000)), List.of()));
    Http http = new Http(gw.port);
    StringBuilder report = new StringBuilder("\n");
    try {
      String parts = System.getProperty("writes.bench.parts", "latency,copy,stream");
      // 100-row JSON bulk: 50 warm-up, then 500 measured, one at a time
      if (parts.contains("latency")) latency(http, report);
      if (parts.contains("copy")) copy(gw, http, report);
      if (parts.contains("stream")) stream(http, report);
    } finally {
      System.out.println(report);
      Http.await(gw.close());
    }
  }

  static void latency(Http http, StringBuilder report) {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < 550; i++) {
      JsonArray rows = new JsonArray();
      for (int j = 0; j < 100; j++) rows.add(new JsonObject().put("title", "Bench " + i + "/" + j).put("priority", 1 + j % 5));
      long t0 = System.nanoTime();
      Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/json", rows.encode());
      if (r.status() != 200) throw new AssertionError(r.body());
      if (i >= 50) ms.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(ms);
    report.append(String.format(Locale.ROOT, "bulk 100 rows (JSON, sequential, n=500): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms%n",
        ms.get(ms.size() / 2), ms.get(ms.size() * 95 / 100), ms.get(ms.size() * 99 / 100)));
  }

  static void copy(TestGateway gw, Http http, StringBuilder report) throws Exception {
    // 100k leads: NDJSON through the gateway vs psql \copy into an identical table
    int n = 100_000;
    StringBuilder nd = new StringBuilder();
    StringBuilder csv = new StringBuilder();
    for (int i = 0; i < n; i++) {
      nd.append("{\"title\":\"Imported lead ").append(i).append("\",\"status\":\"new\",\"priority\":").append(1 + i % 5).append("}\n");
      csv.append("1,Imported lead ").append(i).append(",new,").append(1 + i % 5).append('\n');
    }
    File csvFile = File.createTempFile("leads", ".csv");
    Files.writeString(csvFile.toPath(), csv);
    csvFile.setReadable(true, false);
    Http.await(gw.db.query("CREATE TABLE copy_leads (LIKE leads INCLUDING ALL)").execute());
    Http.await(gw.db.query("ALTER TABLE copy_leads ADD FOREIGN KEY (org_id) REFERENCES organizations (id), "
        + "ADD FOREIGN KEY (customer_id) REFERENCES customers (id)").execute());
    double bestGateway = Double.MAX_VALUE;
    double bestCopy = Double.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      Http.await(gw.db.query("DELETE FROM leads WHERE title LIKE 'Imported lead %'").execute());
      Http.await(gw.db.query("TRUNCATE copy_leads").execute());
      Http.await(gw.db.query("VACUUM leads").execute());
      long t0 = System.nanoTime();
      Http.Response r = http.send("POST", "/v1/leads/bulk", "demo-writer", "application/x-ndjson", nd.toString());
      if (r.status() != 200) throw new AssertionError(r.body());
      bestGateway = Math.min(bestGateway, (System.nanoTime() - t0) / 1e9);
      bestCopy = Math.min(bestCopy, psqlCopy(gw, csvFile));
    }
    csvFile.delete();
    report.append(String.format(Locale.ROOT, "NDJSON import 100k leads: gateway %.0f rows/s (%.2f s), psql \\copy %.0f rows/s "
        + "(%.2f s), ratio %.2f%n", n / bestGateway, bestGateway, n / bestCopy, bestCopy, bestCopy / bestGateway));
  }

  static void stream(Http http, StringBuilder report) {
    // heap during a large stream, generated lazily so the client holds none of it
    long mb = Long.getLong("writes.bench.mb", 200);
    System.gc();
    List<MemoryPoolMXBean> heap = new ArrayList<>();
    MemoryPoolMXBean old = null;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        p.resetPeakUsage();
        heap.add(p);
        if (p.getName().contains("Old")) old = p;
      }
    }
    long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long target = mb << 20;
    long t0 = System.nanoTime();
    Http.Response big = http.send(http.builder("/v1/leads/bulk?onConflict=skip", "demo-writer")
        .timeout(java.time.Duration.ofMinutes(30))
        .header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new Lines(target))).build());
    double secs = (System.nanoTime() - t0) / 1e9;
    if (big.status() != 200) throw new AssertionError(big.body());
    long peak = 0;
    for (MemoryPoolMXBean p : heap) peak += p.getPeakUsage().getUsed();
    long oldPeak = old == null ? -1 : old.getPeakUsage().getUsed();
    report.append(String.format(Locale.ROOT, "NDJSON stream %d MB (%s): %.1f s, %.0f rows/s; heap before %d MB, "
            + "peak old gen %d MB, sum of pool peaks %d MB (-Xmx %d MB, client and gateway in one JVM)%n", mb, big.body(), secs,
        new JsonObject(big.body()).getLong("inserted") / secs, before >> 20, oldPeak >> 20, peak >> 20,
        Runtime.getRuntime().maxMemory() >> 20));
  }

  static double psqlCopy(TestGateway gw, File csv) throws Exception {
    PgConnectOptions o = PgConnectOptions.fromUri(gw.config.pg().url());
    String url = "postgresql://" + o.getUser() + "@" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder("psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
        "\\copy copy_leads (org_id, title, status, priority) FROM '" + csv.getAbsolutePath() + "' CSV")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new AssertionError("psql: " + out);
    return (System.nanoTime() - t0) / 1e9;
  }

  /** NDJSON lines made on the fly until {@code limit} bytes. */
  static final class Lines extends InputStream {
    private final long limit;
    private long produced;
    private long i;
    private byte[] line = new byte[0];
    private int pos;

    Lines(long limit) {
      this.limit = limit;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos == line.length) {
        if (produced >= limit) return -1;
        line = ("{\"title\":\"Streamed lead " + i + "\",\"priority\":" + (1 + i % 5) + "}\n").getBytes(StandardCharsets.UTF_8);
        i++;
        pos = 0;
        produced += line.length;
      }
      int n = Math.min(len, line.length - pos);
      System.arraycopy(line, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
