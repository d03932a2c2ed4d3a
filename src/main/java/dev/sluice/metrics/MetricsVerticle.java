package dev.sluice.metrics;

import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * Owns the observability surface beside the data path: binds process metrics to the Prometheus
 * registry (Vert.x's Micrometer integration already records JVM, HTTP server, pool and event-bus
 * metrics into the same registry). The SLO evaluation lives here too as it is built.
 */
public final class MetricsVerticle extends VerticleBase {
  private final PrometheusMeterRegistry registry;

  public MetricsVerticle(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    return Future.succeededFuture();
  }
}
