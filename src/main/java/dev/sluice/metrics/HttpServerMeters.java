package dev.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MetricsNaming;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The per-request HTTP server metrics of vertx-micrometer-metrics, with the same names, labels
 * (its defaults: {@code method}, and {@code code} on responses) and descriptions, but each meter
 * looked up once per method and status code instead of on every request.
 *
 * <p>Why not the library's own: its {@code VertxHttpServerMetrics} (5.0.7) builds tags and asks the
 * registry for each of its five meters on every request (and registers the active-requests gauge
 * again), which was 8-12 % of the gateway's CPU on a point read in the profiles of 2026-12-02
 * (load-tests/results/2026-12-02-s4-*.html); its {@code meterCacheEnabled} option is a no-op
 * since the cache was removed upstream. Connection-level metrics (active connections, bytes,
 * errors, WebSockets) stay the library's: {@link #delegate} records them, once per connection or
 * write, not per request.
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {
  /** The meters of one HTTP method, shared by every server of the Vert.x instance (like the registry's). */
  static final class Shared {
    private final MeterRegistry registry;
    private final MetricsNaming names;
    private final Map<String, PerMethod> byMethod = new ConcurrentHashMap<>();

    Shared(MeterRegistry registry, MetricsNaming names) {
      this.registry = registry;
      this.names = names.withBaseName("vertx.http.server.");
    }

    PerMethod of(HttpMethod method) {
      PerMethod m = byMethod.get(method.name());
      return m != null ? m : byMethod.computeIfAbsent(method.name(), PerMethod::new);
    }

    final class PerMethod {
      final String method;
      final LongAdder active = new LongAdder();
      final DistributionSummary requestBytes;
      private final AtomicReferenceArray<PerCode> codes = new AtomicReferenceArray<>(1000);

      PerMethod(String method) {
        this.method = method;
        Gauge.builder(names.getHttpActiveRequests(), active, LongAdder::doubleValue)
            .description("Number of requests being processed").tag("method", method).register(registry);
        requestBytes = DistributionSummary.builder(names.getHttpRequestBytes())
            .description("Size of requests in bytes").tag("method", method).register(registry);
      }

      /** Registered at the first reset, as the library does (resets are rare; no lookup saved matters). */
      void reset() {
        Counter.builder(names.getHttpRequestResetsCount())
            .description("Number of request resets").tag("method", method).register(registry).increment();
      }

      PerCode code(int status) {
        if (status < 0 || status >= codes.length()) return new PerCode(method, String.valueOf(status));
        PerCode c = codes.get(status);
        if (c == null) {
          c = new PerCode(method, String.valueOf(status));
          codes.compareAndSet(status, null, c); // a racing twin holds the same registered meters
        }
        return c;
      }
    }

    final class PerCode {
      final Counter requests;
      final Timer time;
      final DistributionSummary responseBytes;

      PerCode(String method, String code) {
        requests = Counter.builder(names.getHttpRequestsCount())
            .description("Number of processed requests").tag("method", method).tag("code", code).register(registry);
        time = Timer.builder(names.getHttpResponseTime())
            .description("Request processing time").tag("method", method).tag("code", code).register(registry);
        responseBytes = DistributionSummary.builder(names.getHttpResponseBytes())
            .description("Size of responses in bytes").tag("method", method).tag("code", code).register(registry);
      }
    }
  }

  /** One request: its method's meters and when it began; ends when both request and response have. */
  static final class Request {
    final Shared.PerMethod meters;
    final long startNanos = System.nanoTime();
    private boolean requestEnded;
    private boolean responseEnded;
    private boolean reset;

    Request(Shared.PerMethod meters) {
      this.meters = meters;
      meters.active.increment();
    }

    /** The request is no longer active once both its halves ended (or it was reset, counted then). */
    void ended(boolean request) {
      if (request) requestEnded = true;
      else responseEnded = true;
      if (!reset && requestEnded && responseEnded) meters.active.decrement();
    }
  }

  private final Shared shared;
  @SuppressWarnings("rawtypes")
  private final HttpServerMetrics delegate;

  HttpServerMeters(Shared shared, HttpServerMetrics<?, ?, ?> delegate) {
    this.shared = shared;
    this.delegate = delegate;
  }

  @Override
  public Request requestBegin(Object socketMetric, HttpRequest request) {
    return new Request(shared.of(request.method()));
  }

  @Override
  public void requestEnd(Request r, HttpRequest request, long bytesRead) {
    r.meters.requestBytes.record(bytesRead);
    r.ended(true);
  }

  @Override
  public void requestReset(Request r) {
    r.meters.reset();
    r.meters.active.decrement();
    r.reset = true;
  }

  @Override
  public Request responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
    return new Request(shared.of(method));
  }

  @Override
  public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
    Shared.PerCode c = r.meters.code(response.statusCode());
    c.requests.increment();
    c.time.record(System.nanoTime() - r.startNanos, TimeUnit.NANOSECONDS);
    c.responseBytes.record(bytesWritten);
    r.ended(false);
  }

  // Connections, bytes, errors and WebSockets: the library's meters, per connection.

  @SuppressWarnings("unchecked")
  @Override
  public Object connected(Object socketMetric, Request r, ServerWebSocket webSocket) {
    return delegate.connected(socketMetric, null, webSocket);
  }

  @SuppressWarnings("unchecked")
  @Override
  public void disconnected(Object webSocketMetric) {
    delegate.disconnected(webSocketMetric);
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    return delegate.connected(remoteAddress, remoteName);
  }

  @SuppressWarnings("unchecked")
  @Override
  public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
    delegate.disconnected(socketMetric, remoteAddress);
  }

  @SuppressWarnings("unchecked")
  @Override
  public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    delegate.bytesRead(socketMetric, remoteAddress, numberOfBytes);
  }

  @SuppressWarnings("unchecked")
  @Override
  public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    delegate.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
  }

  @SuppressWarnings("unchecked")
  @Override
  public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
    delegate.exceptionOccurred(socketMetric, remoteAddress, t);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
