package dev.sluice.changes;

import dev.sluice.tools.CliOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * End-to-end latency of the real-time change feed at a fixed write rate, measured from outside.
 *
 * <p>Gateway mode (default): opens {@code GET /v1/{resource}/changes} (Server-Sent Events) with the
 * reader key, then sends single-row writes {@code PATCH /v1/{resource}?id=eq.<id>} {@code {"priority": n}}
 * with the writer key over a set of the tenant's rows, in an open model (write n leaves at
 * start + n / rate, whatever happened to the earlier ones; at most {@code --max-in-flight} outstanding,
 * past that a write is skipped and counted). For every change event received it takes
 * receive − {@code at} (the gateway's instant taken right after the commit: commit → delivery) and
 * receive − the time the write was sent (write → delivery). Events are matched to writes per row id,
 * in send order (each row is written again only after {@code ids / rate} seconds).
 *
 * <p>Baseline mode ({@code --baseline}): the same writes as a hand-rolled LISTEN/NOTIFY feed on the
 * same machine, at the same rate: {@code BEGIN; UPDATE ... SET priority; SELECT pg_notify(channel,
 * <the gateway's payload + seq + clock_timestamp()>); COMMIT} through a Vert.x pg pool of
 * {@code --pool} connections (the gateway's write pools hold 2 × 4), received by a
 * {@link PgSubscriber}. Commit → delivery is receive − the instant the COMMIT's reply arrived (the
 * same definition as the gateway's {@code at}; may be slightly negative: PostgreSQL signals the
 * listener and answers the committer at the same moment); receive − {@code clock_timestamp()} in
 * the transaction (before COMMIT) is reported too.
 *
 * <p>Both modes print one JSON line on stdout (the last line), progress on stderr, and leave the data
 * as found: the rows' original priorities are read first and written back at the end (through the
 * gateway in gateway mode, so its cache learns of it; any row still different afterwards is fixed in SQL
 * and counted). Bounded: rate × (warm-up + duration) ≤ 1,000,000 writes, duration ≤ 60 s, plus at most
 * {@code --drain} seconds for outstanding replies and events. Only a gateway and a PostgreSQL on this
 * machine are accepted. The main thread blocks; the load runs on two event loops and never blocks them.
 *
 * <pre>
 * java -cp target/sluice.jar dev.sluice.changes.ChangeLatencyBench --url http://127.0.0.1:8080
 *     [--rate 2000] [--duration 10] [--warmup 2] [--resource leads] [--tenant 1] [--ids 4000]
 *     [--first-id 600001] [--reader-key demo-reader] [--writer-key demo-writer] [--connections 128]
 *     [--max-in-flight 1000] [--drain 5] [--pg postgresql://postgres@127.0.0.1:55432/sluice]
 *     [--baseline] [--pool 8] [--write-slo-ms 200] [--json FILE]
 * </pre>
 * A rate counts as sustained when every due write was sent (none skipped), at least 99 % were
 * answered 2xx and 99 % of those delivered, the replies ended within 1 s of the last write being
 * due (no growing queue), the write replies' p95 stayed within {@code --write-slo-ms} (the writes
 * SLO of TARGETS.md) and the sender itself kept up (send lag p95 ≤ 50 ms).
 * Row ids are {@code first-id + 4k} (the demo data gives lead n to organization 1 + (n − 1) % 4, so
 * first-id 600001 keeps them in tenant 1); every one is checked to belong to {@code --tenant} first.
 */
public final class ChangeLatencyBench {
  private static final String TOOL = "ChangeLatencyBench";

  private final Map<String, String> opts;
  private final int rate;
  private final int duration;
  private final int warmup;
  private final int total;
  private final int warmupWrites;
  private final long[] ids;
  private final int[] original;
  private final long tenant;
  private final String resource;

  // per write number n (all set from event loops, read by main after the run)
  private final AtomicLongArray intended;
  private final AtomicLongArray sentNanos;
  private final AtomicLongArray repliedNanos;
  private final AtomicLongArray recvNanos;
  private final AtomicLongArray recvMicros;
  private final AtomicLongArray commitMicros;   // gateway: "at"; baseline: Java instant after COMMIT
  private final AtomicLongArray notifyMicros;   // baseline: clock_timestamp() in the transaction
  private final AtomicIntegerArray state;       // 0 not sent, 1 sent, 2 ok, 3 error, 4 skipped
  private final AtomicIntegerArray delivered;   // events matched to write n
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong foreign = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  /** Gateway mode: per row id, the write numbers sent and not yet delivered, oldest first. */
  private final Map<Long, ArrayDeque<Integer>> pending = new HashMap<>();
  private volatile long startNanos;

  private ChangeLatencyBench(Map<String, String> opts, long[] ids, int[] original) {
    this.opts = opts;
    this.rate = Integer.parseInt(opts.get("rate"));
    this.duration = Integer.parseInt(opts.get("duration"));
    this.warmup = Integer.parseInt(opts.get("warmup"));
    this.total = rate * (duration + warmup);
    this.warmupWrites = rate * warmup;
    this.ids = ids;
    this.original = original;
    this.tenant = Long.parseLong(opts.get("tenant"));
    this.resource = opts.get("resource");
    intended = new AtomicLongArray(total);
    sentNanos = new AtomicLongArray(total);
    repliedNanos = new AtomicLongArray(total);
    recvNanos = new AtomicLongArray(total);
    recvMicros = new AtomicLongArray(total);
    commitMicros = new AtomicLongArray(total);
    notifyMicros = new AtomicLongArray(total);
    state = new AtomicIntegerArray(total);
    delivered = new AtomicIntegerArray(total);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts;
    try {
      opts = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("change-bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    URI url = URI.create(opts.get("url"));
    URI pg = URI.create(opts.get("pg").replaceFirst("^postgres(ql)?:", "http:"));
    for (URI u : List.of(url, pg)) {
      if (u.getHost() == null || !InetAddress.getByName(u.getHost()).isLoopbackAddress()) {
        System.err.println("change-bench: --url and --pg must be on this machine (127.0.0.1), got " + u);
        System.exit(2);
      }
    }
    boolean baseline = opts.containsKey("baseline");
    // Two event loops: one sends the writes and takes their replies, the other receives the events.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2));
    JsonObject out;
    try {
      Pool admin = pgPool(vertx, opts.get("pg"), 2, 100);
      try {
        int n = Integer.parseInt(opts.get("ids"));
        long first = Long.parseLong(opts.get("first-id"));
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = first + 4L * i;
        int[] original = await(snapshot(admin, opts.get("resource"), Long.parseLong(opts.get("tenant")), ids), 60);
        ChangeLatencyBench bench = new ChangeLatencyBench(opts, ids, original);
        log("%s %s: %d writes/s for %d s after %d s of warm-up over %d rows (%d..%d)", TOOL,
            baseline ? "baseline (LISTEN/NOTIFY)" : "gateway " + url, bench.rate, bench.duration, bench.warmup, n,
            ids[0], ids[n - 1]);
        JsonObject restore;
        try {
          out = baseline ? bench.runBaseline(vertx) : bench.runGateway(vertx, url);
        } finally {
          restore = bench.restore(vertx, admin, baseline ? null : url);
        }
        out.put("restore", restore);
        out.put("command", "java -cp target/sluice.jar dev.sluice.changes.ChangeLatencyBench " + String.join(" ", args));
      } finally {
        await(admin.close(), 10);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (opts.get("json") != null) Files.writeString(Path.of(opts.get("json")), out.encodePrettily());
    System.out.println(out.encode());
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("url", "http://127.0.0.1:8080");
    o.put("rate", "2000");
    o.put("duration", "10");
    o.put("warmup", "2");
    o.put("resource", "leads");
    o.put("tenant", "1");
    o.put("ids", "4000");
    o.put("first-id", "600001");
    o.put("reader-key", "demo-reader");
    o.put("writer-key", "demo-writer");
    // The load generator must not be the limit: at 2,000/s and tens of ms per reply, 64 connections
    // already queue requests in the client (Little's law); the gateway bounds its own concurrency.
    o.put("connections", "128");
    o.put("max-in-flight", "1000");
    o.put("drain", "5");
    o.put("pool", "8");
    o.put("write-slo-ms", "200");
    o.put("pg", System.getenv().getOrDefault("SLUICE_PG_URL", "postgresql://postgres@127.0.0.1:55432/sluice"));
    o.put("json", null);
    o = CliOptions.parse(args, o, Set.of("baseline"));
    bound(o, "rate", 1, 20_000);
    bound(o, "duration", 1, 60);
    bound(o, "warmup", 0, 30);
    bound(o, "ids", 1, 100_000);
    bound(o, "connections", 1, 512);
    bound(o, "max-in-flight", 1, 100_000);
    bound(o, "drain", 1, 60);
    bound(o, "pool", 1, 64);
    bound(o, "write-slo-ms", 1, 60_000);
    long writes = Long.parseLong(o.get("rate")) * (Long.parseLong(o.get("duration")) + Long.parseLong(o.get("warmup")));
    if (writes > 1_000_000) throw new IllegalArgumentException("rate x (duration + warmup) must be at most 1,000,000 writes");
    if (!o.get("resource").matches("[a-z_][a-z0-9_]*")) throw new IllegalArgumentException("--resource: a plain name");
    Long.parseLong(o.get("first-id"));
    Long.parseLong(o.get("tenant"));
    return o;
  }

  private static void bound(Map<String, String> o, String name, long min, long max) {
    long v;
    try {
      v = Long.parseLong(o.get(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " must be a whole number");
    }
    if (v < min || v > max) throw new IllegalArgumentException("--" + name + " must be " + min + ".." + max);
  }

  // ------------------------------------------------------------------------------------------ data

  private static Pool pgPool(Vertx vertx, String url, int size, int pipelining) {
    PgConnectOptions o = PgConnectOptions.fromUri(url).setCachePreparedStatements(true)
        .setPipeliningLimit(pipelining).addProperty("application_name", "sluice-change-bench")
        .addProperty("statement_timeout", "10000");
    return PgBuilder.pool().with(new io.vertx.sqlclient.PoolOptions().setMaxSize(size).setMaxWaitQueueSize(10_000))
        .connectingTo(o).using(vertx).build();
  }

  /** The rows' priorities as found (and a check that every one exists and belongs to the tenant). */
  private static Future<int[]> snapshot(Pool pool, String resource, long tenant, long[] ids) {
    return pool.preparedQuery("SELECT id, org_id, priority FROM " + resource + " WHERE id = ANY($1)")
        .execute(Tuple.of(boxed(ids))).map(rows -> {
          Map<Long, Integer> found = new HashMap<>();
          for (Row r : rows) {
            if (r.getLong("org_id") != tenant) {
              throw new IllegalStateException("row " + r.getLong("id") + " belongs to organization " + r.getLong("org_id")
                  + ", not tenant " + tenant + ": choose --first-id so that first-id + 4k are the tenant's rows");
            }
            found.put(r.getLong("id"), r.getInteger("priority"));
          }
          int[] out = new int[ids.length];
          for (int i = 0; i < ids.length; i++) {
            Integer p = found.get(ids[i]);
            if (p == null) throw new IllegalStateException("row " + ids[i] + " does not exist (demo data not loaded at this scale?)");
            out[i] = p;
          }
          return out;
        });
  }

  private static Long[] boxed(long[] v) {
    Long[] b = new Long[v.length];
    for (int i = 0; i < v.length; i++) b[i] = v[i];
    return b;
  }

  /** The value write n sets: never the row's current one (round r of a row moves it on by 1 + r % 4). */
  private int value(int n) {
    int row = n % ids.length;
    int round = n / ids.length;
    return 1 + (original[row] - 1 + 1 + round % 4) % 5;
  }

  /**
   * Puts the original priorities back: through the gateway (its cache and feed learn of it) for the
   * rows that differ, 32 at a time, bounded to 60 s; then whatever still differs in SQL, counted.
   */
  private JsonObject restore(Vertx vertx, Pool admin, URI gateway) {
    JsonObject r = new JsonObject();
    try {
      List<Integer> differ = new ArrayList<>();
      int[] now = await(snapshot(admin, resource, tenant, ids), 60);
      for (int i = 0; i < ids.length; i++) if (now[i] != original[i]) differ.add(i);
      r.put("rows_changed", differ.size());
      if (gateway != null && !differ.isEmpty()) {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(32));
        try {
          AtomicInteger next = new AtomicInteger();
          AtomicInteger ok = new AtomicInteger();
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          List<Future<Void>> lanes = new ArrayList<>();
          for (int l = 0; l < 32; l++) {
            Promise<Void> lane = Promise.promise();
            lanes.add(lane.future());
            restoreLane(client, gateway, differ, next, ok, deadline, lane);
          }
          await(Future.join(lanes), 90);
          r.put("through_gateway", ok.get());
        } finally {
          await(client.close(), 10);
        }
      }
      // Whatever is still not as found (a failed or timed-out PATCH, baseline mode): straight in SQL.
      List<Tuple> fix = new ArrayList<>();
      for (int i = 0; i < ids.length; i++) fix.add(Tuple.of(ids[i], original[i]));
      int fixed = await(admin.preparedQuery("UPDATE " + resource + " SET priority = $2 WHERE id = $1 AND priority <> $2")
          .executeBatch(fix).map(rs -> {
            int sum = 0;
            for (var s = rs; s != null; s = s.next()) sum += s.rowCount();
            return sum;
          }), 120);
      r.put("fixed_in_sql", fixed);
      r.put("ok", true);
    } catch (RuntimeException e) {
      r.put("ok", false).put("error", String.valueOf(e.getMessage()));
      log("restore failed: %s", e);
    }
    return r;
  }

  private void restoreLane(HttpClientAgent client, URI gateway, List<Integer> rows, AtomicInteger next,
                           AtomicInteger ok, long deadline, Promise<Void> lane) {
    int k = next.getAndIncrement();
    if (k >= rows.size() || System.nanoTime() > deadline) {
      lane.tryComplete();
      return;
    }
    int i = rows.get(k);
    patch(client, gateway, ids[i], original[i]).onComplete(ar -> {
      if (ar.succeeded() && ar.result() == null) ok.incrementAndGet();
      restoreLane(client, gateway, rows, next, ok, deadline, lane);
    });
  }

  /** PATCH one row's priority; succeeds with null when {"updated": 1}, else with what went wrong. */
  private Future<String> patch(HttpClientAgent client, URI gateway, long id, int priority) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.PATCH).setHost(gateway.getHost())
        .setPort(gateway.getPort()).setURI("/v1/" + resource + "?id=eq." + id).setTimeout(10_000)
        .putHeader("Authorization", "Bearer " + opts.get("writer-key")).putHeader("Content-Type", "application/json");
    Buffer body = Buffer.buffer("{\"priority\":" + priority + "}");
    return client.request(ro).compose(req -> req.send(body)).compose(res -> res.body().map(b -> {
      if (res.statusCode() != 200) return "HTTP " + res.statusCode() + " " + truncate(b.toString());
      try {
        Object updated = new JsonObject(b).getValue("updated");
        return updated instanceof Number u && u.longValue() == 1 ? null : "reply " + truncate(b.toString());
      } catch (RuntimeException e) {
        return "reply " + truncate(b.toString());
      }
    })).recover(e -> Future.succeededFuture(e.toString()));
  }

  private static String truncate(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  // ------------------------------------------------------------------------------------------ gateway

  private JsonObject runGateway(Vertx vertx, URI url) {
    HttpClientAgent sse = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setIdleTimeout(0),
        new PoolOptions().setHttp1MaxSize(1));
    HttpClientAgent writes = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(Integer.parseInt(opts.get("connections"))).setMaxWaitQueueSize(-1));
    try {
      // The stream, on its own event loop (a verticle of its own).
      Promise<Void> streaming = Promise.promise();
      AtomicReference<HttpClientResponse> stream = new AtomicReference<>();
      String receiver = await(vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          RequestOptions ro = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost()).setPort(url.getPort())
              .setURI("/v1/" + resource + "/changes").putHeader("Authorization", "Bearer " + opts.get("reader-key"))
              .putHeader("Accept", "text/event-stream");
          sse.request(ro).compose(req -> req.send()).onSuccess(res -> {
            if (res.statusCode() != 200) {
              res.body().onComplete(b -> streaming.tryFail("GET /v1/" + resource + "/changes: HTTP " + res.statusCode()
                  + (b.succeeded() ? " " + truncate(b.result().toString()) : "")));
              return;
            }
            stream.set(res);
            StringBuilder buf = new StringBuilder();
            res.handler(chunk -> {
              long nanos = System.nanoTime();
              long micros = micros(Instant.now());
              buf.append(chunk.toString());
              streaming.tryComplete(); // the first chunk: the feed's opening comment, we are subscribed
              int end;
              while ((end = buf.indexOf("\n\n")) >= 0) {
                String block = buf.substring(0, end);
                buf.delete(0, end + 2);
                onSseBlock(block, nanos, micros);
              }
            });
            res.exceptionHandler(e -> firstError.compareAndSet(null, "stream: " + e));
            res.endHandler(v -> firstError.compareAndSet(null, "stream: ended by the gateway"));
          }).onFailure(streaming::tryFail);
          return Future.succeededFuture();
        }
      }), 30);
      await(streaming.future(), 15);
      log("subscribed to /v1/%s/changes", resource);
      JsonObject out = drive(vertx, n -> {
        long id = ids[n % ids.length];
        synchronized (pending) {
          pending.computeIfAbsent(id, k -> new ArrayDeque<>()).addLast(n);
        }
        return patch(writes, url, id, value(n)).map(err -> {
          if (err != null) {
            synchronized (pending) {
              ArrayDeque<Integer> q = pending.get(id);
              if (q != null) q.removeLastOccurrence(n);
            }
          }
          return err;
        });
      });
      await(vertx.undeploy(receiver), 10);
      HttpClientResponse res = stream.get();
      if (res != null) res.request().connection().close();
      out.put("mode", "gateway").put("url", url.toString())
          .put("write", "PATCH /v1/" + resource + "?id=eq.<id> {\"priority\": n} (" + opts.get("writer-key") + ")")
          .put("feed", "GET /v1/" + resource + "/changes, Server-Sent Events (" + opts.get("reader-key") + ")")
          .put("commit_to_delivery_from", "the event's \"at\" (gateway clock, right after COMMIT)")
          .put("resets", resets.get());
      return out;
    } finally {
      await(Future.join(sse.close(), writes.close()), 10);
    }
  }

  private void onSseBlock(String block, long nanos, long micros) {
    String event = "message";
    StringBuilder data = new StringBuilder();
    for (String line : block.split("\n")) {
      if (line.startsWith("event:")) event = line.substring(6).trim();
      else if (line.startsWith("data:")) data.append(line.substring(5).trim());
    }
    if (data.length() == 0) return; // a comment (opening line, keep-alive)
    if (event.equals("reset")) {
      resets.incrementAndGet();
      return;
    }
    if (!event.equals("change")) return;
    JsonObject e;
    long at;
    JsonArray changed;
    try {
      e = new JsonObject(data.toString());
      at = micros(Instant.parse(e.getString("at")));
      changed = e.getJsonArray("ids");
    } catch (RuntimeException x) {
      malformed.incrementAndGet();
      return;
    }
    if (changed == null) {
      foreign.incrementAndGet();
      return;
    }
    for (int i = 0; i < changed.size(); i++) {
      Integer n;
      synchronized (pending) {
        ArrayDeque<Integer> q = pending.get(((Number) changed.getValue(i)).longValue());
        n = q == null ? null : q.pollFirst();
      }
      if (n == null) {
        foreign.incrementAndGet(); // someone else's write, or a restore
        continue;
      }
      record(n, nanos, micros, at);
    }
  }

  private void record(int n, long nanos, long micros, long commit) {
    if (delivered.getAndIncrement(n) > 0) return; // a duplicate: counted, first one kept
    recvNanos.set(n, nanos);
    recvMicros.set(n, micros);
    commitMicros.compareAndSet(n, 0, commit);
  }

  // ------------------------------------------------------------------------------------------ baseline

  private JsonObject runBaseline(Vertx vertx) {
    String channel = "sluice_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    String url = opts.get("pg");
    Pool pool = pgPool(vertx, url, Integer.parseInt(opts.get("pool")), 1);
    PgSubscriber subscriber = PgSubscriber.subscriber(vertx, PgConnectOptions.fromUri(url)
        .addProperty("application_name", "sluice-change-bench-listen"));
    try {
      Promise<Void> listening = Promise.promise();
      String receiver = await(vertx.deployVerticle(new VerticleBase() {
        @Override
        public Future<?> start() {
          return subscriber.connect().onSuccess(v -> {
            subscriber.channel(channel).subscribeHandler(x -> listening.tryComplete()).handler(payload -> {
              long nanos = System.nanoTime();
              long micros = micros(Instant.now());
              try {
                JsonObject e = new JsonObject(payload);
                int n = e.getInteger("seq");
                if (n < 0 || n >= total) throw new IllegalStateException("seq " + n);
                notifyMicros.set(n, micros(OffsetDateTime.parse(e.getString("clock")).toInstant()));
                if (delivered.getAndIncrement(n) == 0) {
                  recvNanos.set(n, nanos);
                  recvMicros.set(n, micros);
                }
              } catch (RuntimeException x) {
                malformed.incrementAndGet();
              }
            });
          });
        }
      }), 30);
      await(listening.future(), 15);
      log("listening on %s", channel);
      // The gateway's payload, plus the write number and PostgreSQL's clock at the NOTIFY.
      String update = "UPDATE " + resource + " SET priority = $1 WHERE id = $2 AND org_id = $3";
      String notify = "SELECT pg_notify($1, json_build_object('resource', $2::text, 'tenant', $3::int8, 'op', 'update', "
          + "'ids', json_build_array($4::int8), 'count', 1, 'seq', $5::int4, 'clock', clock_timestamp())::text)";
      JsonObject out = drive(vertx, n -> {
        long id = ids[n % ids.length];
        int v = value(n);
        return pool.withTransaction(conn -> conn.preparedQuery(update).execute(Tuple.of(v, id, tenant))
                .compose(rs -> {
                  if (rs.rowCount() != 1) return Future.failedFuture("UPDATE touched " + rs.rowCount() + " rows");
                  return conn.preparedQuery(notify).execute(Tuple.of(channel, resource, tenant, id, n));
                }))
            .map(rs -> {
              commitMicros.set(n, micros(Instant.now())); // right after the COMMIT's reply, as the gateway's "at"
              return (String) null;
            })
            .recover(e -> Future.succeededFuture(String.valueOf(e.getMessage())));
      });
      await(vertx.undeploy(receiver), 10);
      // PostgreSQL's own clock at the NOTIFY, before COMMIT: receive - clock_timestamp()
      List<Long> clock = new ArrayList<>();
      for (int n = warmupWrites; n < total; n++) {
        if (delivered.get(n) > 0 && notifyMicros.get(n) != 0) clock.add(recvMicros.get(n) - notifyMicros.get(n));
      }
      out.put("mode", "baseline").put("tool", TOOL + " --baseline (Vert.x pg pool + PgSubscriber)")
          .put("write", "BEGIN; " + update + "; " + notify.replace("$1", "'" + channel + "'") + "; COMMIT (pool of "
              + opts.get("pool") + ")")
          .put("feed", "LISTEN " + channel + " (io.vertx.pgclient.pubsub.PgSubscriber)")
          .put("commit_to_delivery_from", "the Java instant right after the COMMIT's reply (tool clock)")
          .put("notify_clock_to_delivery", percentiles(clock, 1000.0));
      return out;
    } finally {
      await(Future.join(subscriber.close(), pool.close()), 10);
    }
  }

  // ------------------------------------------------------------------------------------------ the load

  /**
   * Sends {@code total} writes at {@code rate} per second from one event loop (a 1 ms timer sends
   * whatever is due), waits for their replies and events at most {@code --drain} s after the last,
   * and computes the figures over the writes due after the warm-up.
   */
  private JsonObject drive(Vertx vertx, java.util.function.IntFunction<Future<String>> write) {
    int maxInFlight = Integer.parseInt(opts.get("max-in-flight"));
    Promise<Void> allSent = Promise.promise();
    String sender = await(vertx.deployVerticle(new VerticleBase() {
      int next;

      @Override
      public Future<?> start() {
        startNanos = System.nanoTime();
        double perNano = rate / 1e9;
        vertx.setPeriodic(1, timer -> {
          long now = System.nanoTime();
          long due = Math.min(total, (long) ((now - startNanos) * perNano) + 1);
          while (next < due) {
            int n = next++;
            intended.set(n, startNanos + (long) (n / perNano));
            if (inFlight.get() >= maxInFlight) {
              state.set(n, 4);
              continue;
            }
            inFlight.incrementAndGet();
            state.set(n, 1);
            sentNanos.set(n, System.nanoTime());
            write.apply(n).onComplete(ar -> {
              repliedNanos.set(n, System.nanoTime());
              inFlight.decrementAndGet();
              String err = ar.succeeded() ? ar.result() : String.valueOf(ar.cause());
              if (err == null) {
                state.set(n, 2);
              } else {
                state.set(n, 3);
                firstError.compareAndSet(null, "write: " + err);
              }
            });
          }
          if (next >= total) {
            vertx.cancelTimer(timer);
            allSent.tryComplete();
          }
        });
        return Future.succeededFuture();
      }
    }), 30);
    await(allSent.future(), duration + warmup + 30);
    long sentAt = System.nanoTime();
    log("all %d writes due; draining (at most %s s)", total, opts.get("drain"));
    long drainUntil = sentAt + TimeUnit.SECONDS.toNanos(Long.parseLong(opts.get("drain")));
    while (System.nanoTime() < drainUntil) {
      if (inFlight.get() == 0 && undelivered() == 0) break;
      sleep(20);
    }
    long drained = System.nanoTime();
    await(vertx.undeploy(sender), 10);
    return figures(sentAt, drained);
  }

  private int undelivered() {
    int n = 0;
    for (int i = 0; i < total; i++) if (state.get(i) == 2 && delivered.get(i) == 0) n++;
    return n;
  }

  private JsonObject figures(long sentAt, long drained) {
    int sent = 0, ok = 0, errors = 0, skipped = 0, received = 0, missing = 0, duplicates = 0;
    List<Long> commitToDelivery = new ArrayList<>();
    List<Long> writeToDelivery = new ArrayList<>();
    List<Long> writeLatency = new ArrayList<>();
    List<Long> sendLag = new ArrayList<>();
    long lastOk = 0, firstSent = Long.MAX_VALUE;
    for (int n = warmupWrites; n < total; n++) {
      int s = state.get(n);
      if (s == 4) {
        skipped++;
        continue;
      }
      if (s == 0) continue;
      sent++;
      firstSent = Math.min(firstSent, sentNanos.get(n));
      sendLag.add(sentNanos.get(n) - intended.get(n));
      if (repliedNanos.get(n) != 0) writeLatency.add(repliedNanos.get(n) - sentNanos.get(n));
      if (s == 2) {
        ok++;
        lastOk = Math.max(lastOk, repliedNanos.get(n));
      } else if (s == 3) {
        errors++;
      }
      int d = delivered.get(n);
      if (d > 1) duplicates += d - 1;
      if (d > 0) {
        received++;
        writeToDelivery.add(recvNanos.get(n) - sentNanos.get(n));
        if (commitMicros.get(n) != 0) commitToDelivery.add((recvMicros.get(n) - commitMicros.get(n)) * 1000);
      } else if (s == 2) {
        missing++;
      }
    }
    double window = duration; // writes due in the measured window, sent over `duration` seconds at the target rate
    double achieved = ok / window;
    double sendSeconds = sent > 0 ? (sentAt - firstSent) / 1e9 : 0;
    int expected = total - warmupWrites;
    JsonObject c2d = percentiles(commitToDelivery, 1e6);
    JsonObject w2d = percentiles(writeToDelivery, 1e6);
    JsonObject wl = percentiles(writeLatency, 1e6);
    JsonObject lag = percentiles(sendLag, 1e6);
    // Sustained: (nearly) every due write sent, answered 2xx and delivered, and the replies kept up
    // (the last one within 1 s of the end: a queue that grows through the run ends far behind).
    List<String> why = new ArrayList<>();
    if (skipped > 0) why.add(skipped + " writes skipped (more than " + opts.get("max-in-flight") + " in flight)");
    if (ok < 0.99 * expected) why.add(String.format(Locale.ROOT, "%d of %d due writes answered 2xx", ok, expected));
    if (received < 0.99 * ok) why.add(String.format(Locale.ROOT, "%d of %d acknowledged writes delivered", received, ok));
    double tail = lastOk > 0 ? (lastOk - sentAt) / 1e9 : 0;
    if (tail > 1.0) why.add(String.format(Locale.ROOT, "replies ended %.1f s after the last write was due", tail));
    Double writeP95 = wl.getDouble("p95_ms");
    int slo = Integer.parseInt(opts.get("write-slo-ms"));
    if (writeP95 != null && writeP95 > slo) {
      why.add(String.format(Locale.ROOT, "write reply p95 %.0f ms > %d ms (the writes SLO)", writeP95, slo));
    }
    Double lagP95 = lag.getDouble("p95_ms");
    if (lagP95 != null && lagP95 > 50) why.add(String.format(Locale.ROOT, "sender fell behind (send lag p95 %.0f ms)", lagP95));
    JsonObject out = new JsonObject()
        .put("tool", TOOL)
        .put("target_rate", rate).put("duration_s", duration).put("warmup_s", warmup).put("rows", ids.length)
        .put("due", expected).put("sent", sent).put("ok", ok).put("errors", errors).put("skipped", skipped)
        .put("received", received).put("missing", missing).put("duplicates", duplicates)
        .put("foreign_events", foreign.get()).put("malformed_events", malformed.get())
        .put("throughput", round(received / window, 1)).put("unit", "events/s")
        .put("achieved_rate", round(achieved, 1))
        .put("send_rate", round(sendSeconds > 0 ? sent / sendSeconds : 0, 1))
        .put("sustained", why.isEmpty())
        .put("not_sustained_because", new JsonArray(why))
        .put("p50_ms", c2d.getValue("p50_ms")).put("p95_ms", c2d.getValue("p95_ms"))
        .put("p99_ms", c2d.getValue("p99_ms")).put("max_ms", c2d.getValue("max_ms"))
        .put("commit_to_delivery", c2d)
        .put("write_to_delivery", w2d)
        .put("write_latency", wl)
        .put("send_lag", lag)
        .put("drain_s", round((drained - sentAt) / 1e9, 2))
        .put("nproc", Runtime.getRuntime().availableProcessors())
        .put("at", Instant.now().toString());
    if (firstError.get() != null) out.put("first_error", truncate(firstError.get()));
    log("%s: %d/%d ok, %d received, %d missing, %d errors, %d skipped; commit->delivery p50/p95/p99/max %s/%s/%s/%s ms; "
            + "write->delivery p95 %s ms; write p95 %s ms%s",
        why.isEmpty() ? "sustained" : "NOT sustained", ok, expected, received, missing, errors, skipped,
        c2d.getValue("p50_ms"), c2d.getValue("p95_ms"), c2d.getValue("p99_ms"), c2d.getValue("max_ms"),
        w2d.getValue("p95_ms"), wl.getValue("p95_ms"), why.isEmpty() ? "" : " (" + String.join("; ", why) + ")");
    return out;
  }

  /** p50/p95/p99/max (and count, min) of values in some unit, in ms. */
  private static JsonObject percentiles(List<Long> values, double perMs) {
    long[] v = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(v);
    JsonObject o = new JsonObject().put("count", v.length);
    if (v.length == 0) {
      return o.put("p50_ms", null).put("p95_ms", null).put("p99_ms", null).put("max_ms", null);
    }
    for (int p : new int[] {50, 95, 99}) {
      int i = Math.max(0, Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1));
      o.put("p" + p + "_ms", round(v[i] / perMs, 3));
    }
    return o.put("max_ms", round(v[v.length - 1] / perMs, 3)).put("min_ms", round(v[0] / perMs, 3));
  }

  private static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000;
  }

  private static void log(String format, Object... args) {
    System.err.println("change-bench: " + String.format(Locale.ROOT, format, args));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits on the tool's own main thread (never an event loop): a command-line measurement, not a verticle. */
  private static <T> T await(Future<T> f, int seconds) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
