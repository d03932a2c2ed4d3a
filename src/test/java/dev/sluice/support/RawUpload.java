package dev.sluice.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An NDJSON upload of leads over a raw socket with a Content-Length larger than what is sent yet,
 * so a test controls exactly how much of the body has arrived (a client going away, a stalled or
 * trickling client).
 */
public final class RawUpload implements AutoCloseable {
  final Socket socket;
  final OutputStream out;
  final String title;
  public long sent;

  public RawUpload(int port, String key, String title, long contentLength) throws IOException {
    this.title = title;
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000);
    out = socket.getOutputStream();
    out.write(("POST /v1/leads/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key + "\r\n"
        + "Content-Type: application/x-ndjson\r\nContent-Length: " + contentLength + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
  }

  /** Sends {@code n} lines; false if the server has already closed the connection. */
  public boolean lines(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append("{\"title\":\"").append(title).append("\",\"priority\":2}\n");
    try {
      byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
      out.write(b);
      out.flush();
      sent += b.length;
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The status code of the response (waits for it). */
  public int status() throws IOException {
    String[] parts = head().split(" ");
    return parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
  }

  /** The status line and headers of the response (waits for them). */
  public String head() throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) break;
    }
    return head.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
