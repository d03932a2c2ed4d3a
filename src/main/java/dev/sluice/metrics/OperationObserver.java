package dev.sluice.metrics;

import dev.sluice.bus.DataRequest;
import dev.sluice.bus.LocalCalls;
import dev.sluice.error.ErrorMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Times every operation where all of them meet: the event bus. A request delivered to an
 * operation address is noted with its reply address; the reply (or failure) sent back to that
 * address ends the sample. So HTTP clients and other event-bus consumers are measured alike, and
 * the operations need no timing code of their own.
 */
public final class OperationObserver {
  private record Pending(String operation, String resource, long startNanos, boolean counts) {}

  private final EventBus bus;
  private final MeterRegistry registry;
  private final WindowedStats stats;
  private final Set<String> resources;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  /** Timers by their tags; a record key, not a concatenated string, so a lookup builds no text. */
  private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();

  private record TimerKey(String operation, String resource, boolean error) {}
  private final Handler<DeliveryContext<Object>> inbound = this::inbound;
  private final Handler<DeliveryContext<Object>> outbound = this::outbound;

  OperationObserver(EventBus bus, MeterRegistry registry, WindowedStats stats, Set<String> resources) {
    this.bus = bus;
    this.registry = registry;
    this.stats = stats;
    this.resources = resources;
  }

  void install(LocalCalls local) {
    bus.addInboundInterceptor(inbound);
    bus.addOutboundInterceptor(outbound);
    local.observe(this::local);
  }

  void uninstall(LocalCalls local) {
    bus.removeInboundInterceptor(inbound);
    bus.removeOutboundInterceptor(outbound);
    local.observe(null);
  }

  /** An operation called in-process by the HTTP verticle (no bus message to intercept), timed the same way. */
  private void local(String address, DataRequest request, long nanos, Throwable failure) {
    String op = Operations.of(address);
    if (op == null) return;
    if (op.equals("read.page")) op = Operations.page(request);
    boolean error = failure != null && ErrorMapper.map(failure).status() >= 500;
    String resource = Operations.resource(request, resources);
    record(op, resource, nanos, error);
    if (Operations.counts(request)) record("read.count", resource, nanos, error);
  }

  private void inbound(DeliveryContext<Object> ctx) {
    try {
      String reply = ctx.message().replyAddress();
      String op = reply == null ? null : Operations.of(ctx.message().address());
      if (op != null) {
        Object body = ctx.body();
        if (op.equals("read.page")) op = Operations.page(body);
        pending.put(reply, new Pending(op, Operations.resource(body, resources), System.nanoTime(), Operations.counts(body)));
      }
    } catch (RuntimeException e) {
      // Observing must never stop a delivery; a message we cannot classify is just not timed.
    }
    ctx.next();
  }

  /** Drops requests that never got a reply (timed out), so the map cannot grow without bound. */
  void expire(long olderThanNanos) {
    long cutoff = System.nanoTime() - olderThanNanos;
    pending.values().removeIf(p -> p.startNanos() - cutoff < 0);
  }

  private void outbound(DeliveryContext<Object> ctx) {
    Pending p = pending.isEmpty() ? null : pending.remove(ctx.message().address());
    if (p != null) {
      long nanos = System.nanoTime() - p.startNanos();
      // Client errors (4xx) are answers; only the gateway's own failures count against the error rate.
      boolean error = ctx.body() instanceof ReplyException re && (re.failureCode() >= 500 || re.failureCode() < 0);
      record(p.operation(), p.resource(), nanos, error);
      if (p.counts()) record("read.count", p.resource(), nanos, error);
    }
    ctx.next();
  }

  /**
   * A change event as it reaches this node: the time from its commit ({@code at}, taken right after
   * the commit) to now is the "realtime" operation, the change feed's commit-to-delivery latency.
   */
  void recordChange(String resource, JsonObject event) {
    try {
      long micros = ChronoUnit.MICROS.between(Instant.parse(event.getString("at")), Instant.now());
      if (micros >= 0) record("realtime", resource, micros * 1000, false);
    } catch (RuntimeException e) {
      // An event without a readable commit time is delivered all the same, just not timed.
    }
  }

  void record(String operation, String resource, long nanos, boolean error) {
    stats.record(operation, nanos / 1000, error);
    TimerKey key = new TimerKey(operation, resource, error);
    Timer t = timers.get(key);
    if (t == null) t = timers.computeIfAbsent(key, k -> timer(operation, resource, error).register(registry));
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The one timer of every operation, scraped as sluice_operation_seconds{operation, resource,
   * outcome}: histogram buckets so Prometheus can compute quantiles. Callers keep what they register.
   */
  public static Timer.Builder timer(String operation, String resource, boolean error) {
    return Timer.builder("sluice.operation")
        .description("Gateway operations, from request to reply on the event bus")
        .tag("operation", operation).tag("resource", resource).tag("outcome", error ? "error" : "ok")
        .publishPercentileHistogram();
  }
}
