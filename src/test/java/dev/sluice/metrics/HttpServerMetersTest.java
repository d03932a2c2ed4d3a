package dev.sluice.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.micrometer.MicrometerMetricsFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

@DisplayName("HTTP server metrics: the same vertx_http_server_* series and counts as vertx-micrometer-metrics' own")
class HttpServerMetersTest {

  @Test
  @DisplayName("the same requests give the same series, counts and byte sums with Sluice's meters and with the library's")
  void sameSeriesAsTheLibrary() throws Exception {
    PrometheusMeterRegistry ours = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PrometheusMeterRegistry library = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Registry names of their own: the library keeps one registry per name for the whole JVM.
    Vertx a = Vertx.builder().with(new VertxOptions().setMetricsOptions(Metrics.metricsOptions().setRegistryName("http-ours")))
        .withMetrics(LeanVertxMetrics.factory(ours)).build();
    Vertx b = Vertx.builder().with(new VertxOptions().setMetricsOptions(Metrics.metricsOptions().setRegistryName("http-library")))
        .withMetrics(new MicrometerMetricsFactory(library)).build();
    try {
      Map<String, String> withOurs = series(run(a, ours));
      Map<String, String> withLibrary = series(run(b, library));
      assertFalse(withOurs.isEmpty());
      // Response times differ from run to run; everything else must be equal.
      withOurs.replaceAll((k, v) -> k.contains("response_time_seconds_sum") || k.contains("_max") ? "t" : v);
      withLibrary.replaceAll((k, v) -> k.contains("response_time_seconds_sum") || k.contains("_max") ? "t" : v);
      assertEquals(withLibrary, withOurs);
      assertEquals("3.0", withOurs.get("vertx_http_server_requests_total{code=\"200\",method=\"GET\"}"));
    } finally {
      a.close().await();
      b.close().await();
    }
  }

  /** A few requests of several methods and statuses, then the scrape, served by the same server. */
  private static String run(Vertx vertx, PrometheusMeterRegistry registry) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/metrics")) {
        req.response().end(registry.scrape());
        return;
      }
      req.body().onSuccess(body -> req.response().setStatusCode(Integer.parseInt(req.path().substring(1))).end("x".repeat(body.length() + 1)));
    }).listen(0, "127.0.0.1").await();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "http://127.0.0.1:" + server.actualPort();
    for (int i = 0; i < 3; i++) send(client, HttpRequest.newBuilder(URI.create(base + "/200")).GET());
    send(client, HttpRequest.newBuilder(URI.create(base + "/404")).GET());
    send(client, HttpRequest.newBuilder(URI.create(base + "/201")).POST(HttpRequest.BodyPublishers.ofString("abcd")));
    String text = send(client, HttpRequest.newBuilder(URI.create(base + "/metrics")).GET());
    server.close().await();
    return text;
  }

  private static String send(HttpClient client, HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The vertx_http_server_* sample lines: series name with labels, value. */
  private static Map<String, String> series(String scrape) {
    Map<String, String> out = new TreeMap<>();
    for (String line : scrape.split("\n")) {
      if (!line.startsWith("vertx_http_server_")) continue;
      int sp = line.lastIndexOf(' ');
      out.put(line.substring(0, sp), line.substring(sp + 1));
    }
    return out;
  }
}
