package dev.sluice.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.VertxOptions;
import io.vertx.core.tracing.TracingOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;

/**
 * What observes a gateway: the Prometheus registry (fed by Vert.x's Micrometer integration and by
 * Sluice's own meters) and the SQL observer on Vert.x's tracing SPI. Built with Vert.x, before
 * any verticle, since both plug into {@code Vertx.builder()}.
 */
public record Metrics(PrometheusMeterRegistry registry, SqlObserver sql) {

  public static Metrics create() {
    return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new SqlObserver());
  }

  /** @param eventLoops the gateway's event loops ({@code SluiceConfig.eventLoops}) */
  public Vertx newVertx(int eventLoops) {
    return builder(new VertxOptions().setEventLoopPoolSize(eventLoops)).build();
  }

  /** A clustered Vert.x: the same observers, plus the cluster manager and the event-bus host. */
  public Future<Vertx> newClusteredVertx(ClusterManager clusterManager, String eventBusHost, int eventLoops) {
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(eventLoops);
    options.getEventBusOptions().setHost(eventBusHost).setPort(0);
    return builder(options).withClusterManager(clusterManager).buildClustered();
  }

  private VertxBuilder builder(VertxOptions options) {
    return Vertx.builder()
        .with(options.setMetricsOptions(metricsOptions()).setTracingOptions(new TracingOptions()))
        // Micrometer's, with HTTP server request meters looked up once (see HttpServerMeters).
        .withMetrics(LeanVertxMetrics.factory(registry))
        .withTracer(o -> sql);
  }

  /** Which of Vert.x's Micrometer metrics are on. */
  static MicrometerMetricsOptions metricsOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // per-connection TCP metrics add cardinality without telling more than the HTTP ones
        .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
        .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT);
  }
}
