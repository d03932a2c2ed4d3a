package dev.sluice.http;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP edge on a raw socket, where a real client library would not let us send such bytes:
 * malformed and oversized requests, a missing Host, and a request with both Content-Length and
 * Transfer-Encoding (the smuggling shape) — each answered once, in the JSON error shape, and the
 * connection closed so that nothing after it runs as a request.
 */
@DisplayName("Protocol edges: malformed HTTP gets a JSON error and a closed connection, never a 500 or a second request")
class ProtocolEdgesIT {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = Http.await(TestGateway.start("protocol", new JsonObject()
        .put("demo", new JsonObject().put("leads", 100).put("documentsLimit", 10)), java.util.List.of()));
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  /** Sends the bytes and reads until the server closes the connection (the socket timeout bounds a server that would not). */
  static String exchange(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", gw.port)) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
      } catch (java.net.SocketTimeoutException e) {
        out.write("<no close>".getBytes(StandardCharsets.ISO_8859_1));
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** One response with the status and a JSON error body, then the connection closed. */
  static void refusedAndClosed(String response, int status) {
    assertTrue(response.startsWith("HTTP/1.") && response.substring(9, 12).equals(String.valueOf(status)), response);
    assertEquals(1, java.util.regex.Pattern.compile("(^|\r\n)HTTP/1\\.[01] \\d{3} ").matcher(response).results().count(),
        "exactly one response: " + response);
    assertTrue(response.toLowerCase().contains("content-type: application/json"), response);
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertTrue(new JsonObject(body).getJsonObject("error").getString("code") != null, response);
    assertTrue(!response.endsWith("<no close>"), "the connection is closed: " + response);
  }

  @Test
  @DisplayName("HTTP/1.1 without Host is a 400 (RFC 9112), on every route, health included")
  void missingHost() throws IOException {
    refusedAndClosed(exchange("GET /health/live HTTP/1.1\r\n\r\n"), 400);
    refusedAndClosed(exchange("GET /v1/leads/1 HTTP/1.1\r\nAuthorization: Bearer demo-reader\r\n\r\n"), 400);
    // a Host that is no host[:port] (vertx-web failed these with an exception of its own: a 500 before)
    refusedAndClosed(exchange("GET /v1/leads/1 HTTP/1.1\r\nHost: [::1\r\nAuthorization: Bearer demo-reader\r\n\r\n"), 400);
    refusedAndClosed(exchange("GET /health/live HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    refusedAndClosed(exchange("GET /v1/leads?limit=1 HTTP/1.1\r\nHost: x:99999\r\nAuthorization: Bearer demo-reader\r\n\r\n"), 400);
    String http10 = exchange("GET /health/live HTTP/1.0\r\n\r\n");
    assertTrue(http10.startsWith("HTTP/1.0 200"), "HTTP/1.0 has no Host requirement: " + http10);
  }

  @Test
  @DisplayName("Content-Length with Transfer-Encoding is a 400 and closes the connection: the trailing request never runs")
  void contentLengthAndChunked() throws IOException {
    String smuggled = "GET /v1/leads/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-reader\r\n\r\n";
    String r = exchange("POST /v1/documents/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-reader\r\n"
        + "Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled);
    refusedAndClosed(r, 400);
    assertTrue(!r.contains("\"org_id\""), "the smuggled request was not answered: " + r);
  }

  @Test
  @DisplayName("a Transfer-Encoding that does not end in chunked is a 400 (the length cannot be known)")
  void otherTransferEncoding() throws IOException {
    refusedAndClosed(exchange("POST /v1/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc"), 400);
  }

  @Test
  @DisplayName("malformed requests, broken %-escapes, unknown versions, too long and too large get 400, 414, 431 with JSON bodies")
  void decoderFailures() throws IOException {
    refusedAndClosed(exchange("GET /health/live HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"), 400);
    // an unknown version is answered (Vert.x alone would send an empty 501) in the JSON shape, as 4xx
    String v3 = exchange("GET /health/live HTTP/3.0\r\nHost: x\r\n\r\n");
    assertTrue(v3.contains(" 400 ") && v3.contains("http_version_not_supported") && !v3.endsWith("<no close>"), v3);
    refusedAndClosed(exchange("GET /v1/leads?title=eq.%zz&x=% HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-reader\r\n\r\n"), 400);
    refusedAndClosed(exchange("GET /v1/leads/%ZZ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-reader\r\n\r\n"), 400);
    refusedAndClosed(exchange("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), 414);
    refusedAndClosed(exchange("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n"), 431);
  }
}
