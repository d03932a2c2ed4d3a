package dev.sluice.metrics;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Vert.x's Micrometer metrics as they are, except that HTTP servers get {@link HttpServerMeters}
 * for their per-request meters (same names and labels, looked up once). Everything else is the
 * library's, delegated untouched.
 */
final class LeanVertxMetrics implements VertxMetrics {
  private final VertxMetrics delegate;
  private final HttpServerMeters.Shared httpServer;
  private final boolean httpServerEnabled;

  private LeanVertxMetrics(VertxMetrics delegate, MeterRegistry registry, MicrometerMetricsOptions options) {
    this.delegate = delegate;
    this.httpServer = new HttpServerMeters.Shared(registry, options.getMetricsNaming());
    this.httpServerEnabled = !options.getDisabledMetricsCategories().contains(MetricsDomain.HTTP_SERVER.toCategory());
  }

  /** A factory of these around Micrometer's factory for {@code registry}. */
  static VertxMetricsFactory factory(MeterRegistry registry) {
    MicrometerMetricsFactory micrometer = new MicrometerMetricsFactory(registry);
    return new VertxMetricsFactory() {
      @Override
      public VertxMetrics metrics(VertxOptions options) {
        MetricsOptions given = options.getMetricsOptions();
        MicrometerMetricsOptions m = given instanceof MicrometerMetricsOptions mm ? mm : new MicrometerMetricsOptions();
        VertxMetrics library = micrometer.metrics(options);
        // The registry the library records into: the one first set up under this registry name.
        MeterRegistry used = BackendRegistries.getNow(m.getRegistryName());
        return new LeanVertxMetrics(library, used != null ? used : registry, m);
      }

      @Override
      public MetricsOptions newOptions() {
        return micrometer.newOptions();
      }
    };
  }

  @Override
  public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
    HttpServerMetrics<?, ?, ?> library = delegate.createHttpServerMetrics(options, localAddress);
    return library == null || !httpServerEnabled ? library : new HttpServerMeters(httpServer, library);
  }

  @Override
  public EventBusMetrics<?> createEventBusMetrics() {
    return delegate.createEventBusMetrics();
  }

  @Override
  public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
    return delegate.createClientMetrics(remoteAddress, type, namespace);
  }

  @Override
  public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
    return delegate.createHttpClientMetrics(options);
  }

  @Override
  public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
    return delegate.createNetServerMetrics(options, localAddress);
  }

  @Override
  public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
    return delegate.createNetClientMetrics(options);
  }

  @Override
  public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
    return delegate.createDatagramSocketMetrics(options);
  }

  @Override
  public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
    return delegate.createPoolMetrics(poolType, poolName, maxPoolSize);
  }

  @Override
  public void vertxCreated(Vertx vertx) {
    delegate.vertxCreated(vertx);
  }

  @Override
  public boolean isMetricsEnabled() {
    return delegate.isMetricsEnabled();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
