package dev.sluice.changes;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Change feed: Server-Sent Events, tenant-scoped, resumable with Last-Event-ID")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ChangeFeedIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("changes", null, List.of()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  /**
   * An SSE client on Vert.x's HTTP client: {@link #open} completes once the gateway's opening comment
   * arrived, which it writes after subscribing, so an event published from then on reaches the
   * stream; {@link #next} is the next event ({id, event, data}) in order.
   */
  static final class SseStream {
    private final Promise<SseStream> opened = Promise.promise();
    private final Deque<String[]> ready = new ArrayDeque<>();
    private final Deque<Promise<String[]>> waiting = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private String id;
    private String event;
    private HttpConnection connection;

    static Future<SseStream> open(HttpClient client, String lastEventId) {
      return open(client, lastEventId, "demo-reader");
    }

    static Future<SseStream> open(HttpClient client, String lastEventId, String key) {
      SseStream s = new SseStream();
      RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(gw.port).setURI("/v1/leads/changes")
          .putHeader("Authorization", "Bearer " + key);
      if (lastEventId != null) o.putHeader("Last-Event-ID", lastEventId);
      return client.request(o).compose(req -> req.send()).compose(res -> {
        if (res.statusCode() != 200 || !"text/event-stream".equals(res.getHeader("content-type"))) {
          return Future.failedFuture(new AssertionError("not an event stream: " + res.statusCode() + " " + res.headers()));
        }
        s.connection = res.request().connection();
        res.handler(s::received);
        return s.opened.future();
      });
    }

    private synchronized void received(Buffer chunk) {
      partial.append(chunk.toString(StandardCharsets.UTF_8));
      for (int nl; (nl = partial.indexOf("\n")) >= 0; ) {
        String line = partial.substring(0, nl);
        partial.delete(0, nl + 1);
        if (line.startsWith(": sluice change feed")) opened.tryComplete(this);
        else if (line.startsWith("id: ")) id = line.substring(4);
        else if (line.startsWith("event: ")) event = line.substring(7);
        else if (line.startsWith("data: ")) deliver(new String[] {id, event, line.substring(6)});
      }
    }

    private void deliver(String[] e) {
      Promise<String[]> p = waiting.poll();
      if (p != null) p.complete(e);
      else ready.add(e);
    }

    synchronized Future<String[]> next() {
      if (!ready.isEmpty()) return Future.succeededFuture(ready.poll());
      Promise<String[]> p = Promise.promise();
      waiting.add(p);
      return p.future();
    }

    /** The next {@code n} events, in order. */
    Future<List<String[]>> next(int n) {
      List<String[]> out = new ArrayList<>();
      Future<Void> f = Future.succeededFuture();
      for (int i = 0; i < n; i++) f = f.compose(v -> next().map(e -> { out.add(e); return null; }));
      return f.map(v -> out);
    }

    Future<Void> close() {
      return connection.close();
    }
  }

  static void publish(long tenant, long id) {
    gw.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads", new JsonObject().put("resource", "leads")
        .put("tenant", tenant).put("op", "update").put("ids", new JsonArray().add(id)));
  }

  static long firstId(String[] event) {
    return new JsonObject(event[2]).getJsonArray("ids").getLong(0);
  }

  @Test
  @DisplayName("a subscriber sees its own tenant's committed changes, keys and operation only")
  void tenantScoped(Vertx vertx, VertxTestContext test) {
    SseStream.open(vertx.createHttpClient(), null).compose(s -> {
      publish(2, 2);  // another tenant's
      publish(1, 5);
      publish(1, 6);  // published after tenant 2's: had that been delivered, it would come before this one
      return s.next(2).eventually(s::close);
    }).onComplete(test.succeeding(events -> test.verify(() -> {
      String[] e = events.get(0);
      assertEquals("change", e[1]);
      JsonObject data = new JsonObject(e[2]);
      assertEquals("update", data.getString("op"));
      assertEquals(5L, firstId(e));
      assertEquals(List.of("resource", "op", "ids", "count", "at"), new ArrayList<>(data.fieldNames()));
      assertEquals(6L, firstId(events.get(1)), "nothing of tenant 2");
      test.completeNow();
    })));
  }

  @Test
  @DisplayName("reconnecting with Last-Event-ID replays exactly what was missed")
  void resumable(Vertx vertx, VertxTestContext test) {
    HttpClient client = vertx.createHttpClient();
    SseStream.open(client, null)
        .compose(s -> {
          publish(1, 101);
          return s.next().eventually(s::close);
        })
        .compose(lastSeen -> {
          publish(1, 102);
          publish(1, 103);
          return SseStream.open(client, lastSeen[0]).compose(s -> s.next(2).eventually(s::close));
        })
        .compose(missed -> {
          test.verify(() -> assertEquals(List.of(102L, 103L), missed.stream().map(ChangeFeedIT::firstId).toList()));
          return SseStream.open(client, "another-node-7").compose(s -> s.next().eventually(s::close));
        })
        .onComplete(test.succeeding(first -> test.verify(() -> {
          assertEquals("reset", first[1], "an unknown position is announced as a reset");
          test.completeNow();
        })));
  }

  @Test
  @DisplayName("a subscriber that stops reading is disconnected, not buffered for without limit")
  void slowReaderIsDropped(Vertx vertx, VertxTestContext test) throws Exception {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", gw.port), 5000);
    socket.setSoTimeout(5_000);
    socket.getOutputStream().write(("GET /v1/leads/changes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Authorization: Bearer demo-reader\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    // Up to the opening comment, written after the gateway subscribed the stream; then nothing is read.
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    for (int b; !head.toString().contains(": sluice change feed") && (b = in.read()) >= 0; ) head.append((char) b);
    JsonArray ids = new JsonArray();
    for (int i = 0; i < 1000; i++) ids.add(1_000_000L + i);
    JsonObject fat = new JsonObject().put("resource", "leads").put("tenant", 1).put("op", "update").put("ids", ids);
    // A tenant-2 stream on the same gateway context sees none of the fat events, only the marker after them:
    // when the marker arrives, the gateway has handled every fat event for the stream that reads nothing.
    SseStream.open(vertx.createHttpClient(), null, "demo-reader-2")
        .compose(witness -> {
          for (int i = 0; i < 5000; i++) gw.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads", fat); // ~40 MB
          publish(2, 7);
          return witness.next().eventually(witness::close);
        })
        // Reading now drains what the kernel held, then the stream ends: the server let go of it. A
        // server that queued every event would deliver all ~40 MB and then keep the stream open.
        .compose(marker -> vertx.executeBlocking(() -> drain(in)))
        .eventually(() -> vertx.executeBlocking(() -> {
          socket.close();
          return null;
        }))
        .onComplete(test.succeeding(total -> test.verify(() -> {
          assertTrue(total >= 0, "the server kept the stream open after " + (-total - 1) + " bytes");
          assertTrue(total < 20_000_000L, "the server stopped only after " + total + " bytes");
          test.completeNow();
        })));
  }

  /** Bytes read until the stream ended; -(bytes + 1) if it was still open after the read timeout. */
  static long drain(InputStream in) throws java.io.IOException {
    byte[] chunk = new byte[65536];
    long total = 0;
    try {
      for (int n; (n = in.read(chunk)) >= 0; ) total += n;
      return total;
    } catch (SocketTimeoutException stillOpen) {
      return -total - 1;
    } catch (SocketException reset) {
      return total;
    }
  }
}
