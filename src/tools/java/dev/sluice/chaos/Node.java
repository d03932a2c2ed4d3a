package dev.sluice.chaos;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One gateway process of the chaos run: started from the jar, killed with SIGKILL, started again. */
final class Node {
  final String name;
  final int port;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path log;
  private Process process;

  Node(String name, int port, List<String> command, Map<String, String> env, Path log) {
    this.name = name;
    this.port = port;
    this.command = command;
    this.env = env;
    this.log = log;
  }

  void start() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).directory(new File("."));
    pb.environment().putAll(env);
    pb.environment().put("SLUICE_HTTP_PORT", String.valueOf(port));
    process = pb.start();
    process.getOutputStream().close();
  }

  /** SIGKILL (Process.destroyForcibly on Linux): no shutdown hook, no graceful close. */
  void kill9() throws InterruptedException {
    if (process == null) return;
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** A graceful stop at the end of the run (SIGTERM, then SIGKILL after 30 s). */
  void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) return;
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) kill9();
  }

  /** Waits until /health/ready answers 200; false after {@code timeoutMs} or when the process died. */
  boolean awaitReady(HttpClient http, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
        .timeout(Duration.ofSeconds(2)).build();
    while (System.currentTimeMillis() < deadline) {
      if (process != null && !process.isAlive()) return false;
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return true;
      } catch (Exception notYet) {
        // not listening yet
      }
      Thread.sleep(250);
    }
    return false;
  }

  /** Whether /health/ready says UP without degradation (Redis back, replicas checked). */
  boolean fullyReady(HttpClient http) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && !r.body().contains("\"degraded\":true") && !r.body().contains("\"degraded\" : true");
    } catch (Exception e) {
      return false;
    }
  }
}
