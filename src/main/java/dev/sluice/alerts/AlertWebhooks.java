package dev.sluice.alerts;

import dev.sluice.bus.Addresses;
import dev.sluice.config.OpsSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.logging.Logger;

/**
 * Delivers this node's alert transitions ({@code sluice.alerts}, a local consumer: every node
 * delivers the alerts it evaluated itself) to the configured webhooks as JSON POSTs:
 * <pre>
 *   {"alert": "db-dead-tuples", "kind": "alert", "status": "breach|ok", "severity": "warning|critical",
 *    "detail": {...value, threshold...}, "at": "...", "source": "sluice"}
 * </pre>
 * Each webhook has a bounded queue ({@code alerts.queueSize}; when full the oldest waiting alert
 * is dropped and counted) and one POST in flight; a failed POST (connection error, timeout,
 * non-2xx) is retried {@code alerts.retries} times with doubling delays, then counted as failed.
 * Hand-written on Vert.x's own HTTP client rather than a library: it is a queue and a retry loop,
 * and it must stay on the event loop without blocking.
 */
public final class AlertWebhooks {
  private static final Logger LOG = Logger.getLogger("sluice.alerts");

  private final Vertx vertx;
  private final OpsSettings.Delivery settings;
  private final MeterRegistry registry;
  private final HttpClient client;
  private final List<Target> targets = new ArrayList<>();
  private MessageConsumer<JsonObject> consumer;

  /** One webhook: its queue and whether a POST to it is under way. */
  private static final class Target {
    final String url;
    final Deque<Buffer> queue = new ArrayDeque<>();
    boolean sending;

    Target(String url) {
      this.url = url;
    }
  }

  public AlertWebhooks(Vertx vertx, OpsSettings.Delivery settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.settings = settings;
    this.registry = registry;
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(settings.timeoutMs()));
    settings.webhooks().forEach(url -> targets.add(new Target(url)));
    for (String outcome : List.of("delivered", "failed", "dropped")) counter(outcome);
  }

  public Future<Void> start() {
    if (targets.isEmpty()) return Future.succeededFuture();
    consumer = vertx.eventBus().<JsonObject>localConsumer(Addresses.ALERTS, m -> offer(m.body()));
    return consumer.completion();
  }

  public Future<Void> stop() {
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered.eventually(client::close);
  }

  /** The webhook body of a transition (its severity graded by {@link Severity}). */
  static JsonObject payload(JsonObject transition) {
    return new JsonObject().put("alert", transition.getString("name")).put("kind", transition.getString("kind"))
        .put("status", transition.getString("status"))
        .put("severity", transition.getString("severity", Severity.of(transition)))
        .put("detail", transition.getJsonObject("detail")).put("at", transition.getString("at")).put("source", "sluice");
  }

  private void offer(JsonObject transition) {
    JsonObject body = payload(transition);
    if (!Severity.atLeast(body.getString("severity"), settings.minSeverity())) return;
    Buffer bytes = body.toBuffer();
    for (Target t : targets) {
      if (t.queue.size() >= settings.queueSize()) {
        t.queue.pollFirst();
        count("dropped");
      }
      t.queue.addLast(bytes);
      next(t);
    }
  }

  private void next(Target t) {
    if (t.sending || t.queue.isEmpty()) return;
    t.sending = true;
    attempt(t, t.queue.pollFirst(), 0);
  }

  private void attempt(Target t, Buffer body, int attempt) {
    post(t.url, body).onComplete(ar -> {
      if (ar.succeeded()) {
        count("delivered");
      } else if (attempt < settings.retries()) {
        long delay = (long) settings.retryDelayMs() << Math.min(attempt, 20);
        vertx.setTimer(delay, id -> attempt(t, body, attempt + 1));
        return;
      } else {
        count("failed");
        LOG.warning("alert webhook " + t.url + ": gave up after " + (attempt + 1) + " attempt(s): " + ar.cause().getMessage());
      }
      t.sending = false;
      next(t);
    });
  }

  private Future<Void> post(String url, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
        .setTimeout(settings.timeoutMs()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
    return client.request(options).compose(req -> req.send(body)).compose(resp -> {
      int status = resp.statusCode();
      // Drain the body so the connection can be reused; its content does not matter.
      return resp.body().transform(x -> status / 100 == 2 ? Future.<Void>succeededFuture()
          : Future.failedFuture("HTTP " + status));
    });
  }

  private void count(String outcome) {
    counter(outcome).increment();
  }

  private Counter counter(String outcome) {
    return Counter.builder("sluice.alerts.webhook").tag("outcome", outcome)
        .description("Alert webhook deliveries by outcome: delivered, failed (after retries), dropped (queue full)")
        .register(registry);
  }
}
