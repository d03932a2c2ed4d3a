package dev.sluice.changes;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Change feed: Server-Sent Events, tenant-scoped, resumable with Last-Event-ID")
class ChangeFeedIT {
  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("changes", null, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  /** An SSE client on a thread of its own: each event's id and data lines land in a queue. */
  static final class Stream implements AutoCloseable {
    final BlockingQueue<String[]> events = new ArrayBlockingQueue<>(1000);
    final InputStream body;

    Stream(String lastEventId) throws Exception {
      var b = http.builder("/v1/leads/changes", "demo-reader");
      if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
      HttpResponse<InputStream> r = Http.newClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertEquals("text/event-stream", r.headers().firstValue("content-type").orElse(""));
      body = r.body();
      Thread t = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
          String id = null;
          String event = null;
          for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("id: ")) id = line.substring(4);
            else if (line.startsWith("event: ")) event = line.substring(7);
            else if (line.startsWith("data: ")) events.add(new String[] {id, event, line.substring(6)});
          }
        } catch (Exception ignored) {
          // closed by the test
        }
      });
      t.setDaemon(true);
      t.start();
    }

    String[] next() throws InterruptedException {
      return events.poll(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      body.close();
    }
  }

  static void publish(long tenant, long id) {
    gw.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads", new JsonObject().put("resource", "leads")
        .put("tenant", tenant).put("op", "update").put("ids", new JsonArray().add(id)));
  }

  @Test
  @DisplayName("a subscriber sees its own tenant's committed changes, keys and operation only")
  void tenantScoped() throws Exception {
    try (Stream s = new Stream(null)) {
      Thread.sleep(200);
      publish(2, 2);  // another tenant's
      publish(1, 5);
      String[] e = s.next();
      assertNotNull(e);
      assertEquals("change", e[1]);
      JsonObject data = new JsonObject(e[2]);
      assertEquals("update", data.getString("op"));
      assertEquals(5L, data.getJsonArray("ids").getLong(0));
      assertEquals(List.of("resource", "op", "ids", "count", "at"), new ArrayList<>(data.fieldNames()));
      assertNull(s.events.poll(300, TimeUnit.MILLISECONDS), "nothing of tenant 2");
    }
  }

  @Test
  @DisplayName("reconnecting with Last-Event-ID replays exactly what was missed")
  void resumable() throws Exception {
    String lastSeen;
    try (Stream s = new Stream(null)) {
      Thread.sleep(200);
      publish(1, 101);
      lastSeen = s.next()[0];
    }
    publish(1, 102);
    publish(1, 103);
    Thread.sleep(200);
    try (Stream s = new Stream(lastSeen)) {
      assertEquals(102L, new JsonObject(s.next()[2]).getJsonArray("ids").getLong(0));
      assertEquals(103L, new JsonObject(s.next()[2]).getJsonArray("ids").getLong(0));
    }
    try (Stream s = new Stream("another-node-7")) {
      assertTrue("reset".equals(s.next()[1]), "an unknown position is announced as a reset");
    }
  }

  @Test
  @DisplayName("a subscriber that stops reading is disconnected, not buffered for without limit")
  void slowReaderIsDropped() throws Exception {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", gw.port), 5000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(("GET /v1/leads/changes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer demo-reader\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      Thread.sleep(300);
      JsonArray ids = new JsonArray();
      for (int i = 0; i < 1000; i++) ids.add(1_000_000L + i);
      JsonObject fat = new JsonObject().put("resource", "leads").put("tenant", 1).put("op", "update").put("ids", ids);
      for (int i = 0; i < 5000; i++) gw.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads", fat); // ~40 MB
      Thread.sleep(1000); // the test reads nothing meanwhile
      // Reading now drains what the kernel held, then the stream ends: the server let go of it. A
      // server that queued every event would deliver all ~40 MB and then keep the stream open.
      InputStream in = socket.getInputStream();
      byte[] chunk = new byte[65536];
      long total = 0;
      boolean ended = false;
      try {
        for (int n; (n = in.read(chunk)) >= 0; ) total += n;
        ended = true;
      } catch (java.net.SocketTimeoutException stillOpen) {
        ended = false;
      } catch (java.net.SocketException reset) {
        ended = true;
      }
      assertTrue(ended, "the server kept the stream open after " + total + " bytes");
      assertTrue(total < 20_000_000L, "the server stopped only after " + total + " bytes");
    }
  }
}
