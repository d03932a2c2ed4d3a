package dev.sluice.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The steady mixed load of the chaos run, bounded in rate (about 30 requests/s over both nodes):
 * two writers posting 5-row bulk inserts whose rows share a title (so a lost or partial write shows
 * in the table), a reader of pages and point reads, and a freshness checker that PATCHes one lead's
 * title to a counter and reads it back at once on the same node and on the other one (a read older
 * than the acknowledged write is stale). Every request is logged with its time, node and status.
 */
final class Load {
  static final int ROWS_PER_WRITE = 5;

  /** One request: when (ms since the run started), where, what, and its status (-1: no HTTP answer). */
  record Outcome(long at, String node, String kind, int status, String title) {}

  /** A bulk write sent: its title, and whether the gateway acknowledged it (200). */
  record Write(long at, String title, boolean acked) {}

  /** A read older than a write acknowledged before it. */
  record Stale(long at, boolean otherNode) {}

  final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
  final List<Write> writes = Collections.synchronizedList(new ArrayList<>());
  final List<Stale> stale = Collections.synchronizedList(new ArrayList<>());
  private final HttpClient http;
  private final List<Node> nodes;
  private final String run;
  private final long started;
  private final List<Long> leadIds;
  private final long freshLead;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;

  Load(HttpClient http, List<Node> nodes, String run, long started, List<Long> leadIds, long freshLead) {
    this.http = http;
    this.nodes = nodes;
    this.run = run;
    this.started = started;
    this.leadIds = leadIds;
    this.freshLead = freshLead;
  }

  long now() {
    return System.currentTimeMillis() - started;
  }

  void start() {
    for (int w = 0; w < 2; w++) {
      int writer = w;
      spawn("writer-" + w, 200, seq -> write(writer, seq));
    }
    spawn("reader", 100, this::read);
    spawn("freshness", 300, this::freshness);
  }

  void stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) t.join(15_000);
  }

  private interface Step {
    void run(long seq) throws Exception;
  }

  private void spawn(String name, long pauseMs, Step step) {
    Thread t = new Thread(() -> {
      long seq = 0;
      while (running) {
        try {
          step.run(seq++);
          Thread.sleep(pauseMs);
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // a failed request is already logged as an outcome
        }
      }
    }, "chaos-" + name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private Node node(long seq) {
    return nodes.get((int) (seq % nodes.size()));
  }

  /** Sends and logs one request; the response, or null when there was no HTTP answer. */
  HttpResponse<String> send(Node node, String kind, String title, HttpRequest.Builder request) {
    long at = now();
    try {
      HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
      outcomes.add(new Outcome(at, node.name, kind, r.statusCode(), title));
      return r;
    } catch (Exception e) {
      outcomes.add(new Outcome(at, node.name, kind, -1, title));
      return null;
    }
  }

  HttpRequest.Builder request(Node node, String path, String key) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port + path)).header("Authorization", "Bearer " + key);
  }

  private void write(int writer, long seq) {
    String title = "chaos-" + run + "-w" + writer + "-" + seq;
    JsonArray rows = new JsonArray();
    for (int i = 0; i < ROWS_PER_WRITE; i++) rows.add(new JsonObject().put("title", title).put("priority", 1 + i));
    Node n = node(seq + writer);
    long at = now();
    HttpResponse<String> r = send(n, "write", title, request(n, "/v1/leads/bulk", "demo-writer")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(rows.encode())));
    writes.add(new Write(at, title, r != null && r.statusCode() == 200));
  }

  private void read(long seq) {
    Node n = node(seq);
    if (seq % 2 == 0) {
      send(n, "read", null, request(n, "/v1/leads?limit=5&select=id,title,status", "demo-reader").GET());
    } else {
      long id = leadIds.get(new Random(seq).nextInt(leadIds.size()));
      send(n, "read", null, request(n, "/v1/leads/" + id, "demo-reader").GET());
    }
  }

  /** PATCH the title to "fresh-<run>-<seq>", then read it back on this node and on the other. */
  private void freshness(long seq) {
    Node n = node(seq);
    HttpResponse<String> patched = send(n, "patch", null, request(n, "/v1/leads?id=eq." + freshLead, "demo-writer")
        .header("Content-Type", "application/json").method("PATCH",
            HttpRequest.BodyPublishers.ofString(new JsonObject().put("title", "fresh-" + run + "-" + seq).encode())));
    if (patched == null || patched.statusCode() != 200) return;
    for (int i = 0; i < nodes.size(); i++) {
      Node reader = nodes.get((int) ((seq + i) % nodes.size()));
      HttpResponse<String> r = send(reader, "read", null,
          request(reader, "/v1/leads/" + freshLead + "?select=title", "demo-reader").GET());
      if (r == null || r.statusCode() != 200) continue;
      String title = new JsonObject(r.body()).getString("title", "");
      String prefix = "fresh-" + run + "-";
      long seen = title.startsWith(prefix) ? Long.parseLong(title.substring(prefix.length())) : -1;
      if (seen < seq) stale.add(new Stale(now(), i > 0));
    }
  }

  /** An NDJSON import to {@code node} of up to {@code lines} rows, throttled; completes with its status (-1: cut). */
  CompletableFuture<Integer> importTo(Node node, String title, int lines, AtomicLong sent) {
    InputStream body = new InputStream() {
      private byte[] line = new byte[0];
      private int pos;

      @Override
      public int read() {
        if (pos == line.length) {
          long n = sent.get();
          if (n >= lines) return -1;
          if (n % 500 == 0 && n > 0) pause(); // about 25,000 rows/s at most: a light import
          line = ("{\"title\":\"" + title + "\",\"priority\":3}\n").getBytes(StandardCharsets.UTF_8);
          pos = 0;
          sent.incrementAndGet();
        }
        return line[pos++] & 0xff;
      }
    };
    HttpRequest.Builder req = request(node, "/v1/leads/bulk", "demo-writer").header("Content-Type", "application/x-ndjson")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body));
    return CompletableFuture.supplyAsync(() -> {
      HttpResponse<String> r = send(node, "import", title, req);
      return r == null ? -1 : r.statusCode();
    });
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
