package dev.sluice.http;

import dev.sluice.admission.WriteAdmission;
import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.auth.Role;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.bus.LocalCalls;
import dev.sluice.catalog.Catalog;
import dev.sluice.changes.ChangeFeed;
import dev.sluice.changes.ChangeStream;
import dev.sluice.config.SluiceConfig;
import dev.sluice.metrics.MetricsVerticle;
import dev.sluice.openapi.OpenApiDocument;
import dev.sluice.openapi.OpenApiRoutes;
import dev.sluice.ratelimit.RateLimitHandler;
import dev.sluice.write.BulkUpload;
import dev.sluice.write.WriteRequest;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

import java.util.concurrent.TimeUnit;

/**
 * The HTTP face of the gateway: authenticates, turns a request into a call of a data operation
 * (in-process on its own event loop where a data verticle there serves it, else an event-bus
 * request) and writes the JSON bytes back. It holds no database or cache client itself.
 * One instance per event loop.
 */
public final class HttpVerticle extends VerticleBase {
  private final SluiceConfig config;
  private final PrometheusMeterRegistry registry;
  private final Catalog catalog;
  private final ChangeFeed feed;
  private final AccessControl access;
  private HttpServer server;
  private Router router;
  private DeliveryOptions delivery;
  private LocalCalls local;
  private static final CharSequence IDEMPOTENCY_KEY = HttpHeaders.createOptimized("Idempotency-Key");

  public HttpVerticle(SluiceConfig config, PrometheusMeterRegistry registry, Catalog catalog, ChangeFeed feed,
                      AccessControl access) {
    this.config = config;
    this.registry = registry;
    this.catalog = catalog;
    this.feed = feed;
    this.access = access;
  }

  @Override
  public Future<?> start() {
    // Local only: in a cluster, this node's own data verticles answer its HTTP requests (no extra
    // network hop); other nodes' consumers reach the same addresses over the clustered bus.
    delivery = new DeliveryOptions().setSendTimeout(config.http().requestTimeoutMs()).setLocalOnly(true);
    local = config.http().inProcess() ? LocalCalls.of(vertx) : null;
    router = Router.router(vertx);
    ApiKeys keys = config.apiKeys();

    // Every request is bounded in time, except the change feed, which is a stream by design, and
    // NDJSON bulk uploads, which are bounded by writes.streamTimeoutMs instead (see BulkUpload).
    // (String tests, not regex routes: vertx-web runs a route's regex on every request it passes.)
    RequestDeadlines timeout = new RequestDeadlines(vertx, config.http().requestTimeoutMs(), 504);
    router.route().handler(ctx -> {
      if (isChangeFeed(ctx.normalizedPath())
          || BulkUpload.isNdjson(ctx.request()) && ctx.request().path().endsWith("/bulk")) ctx.next();
      else timeout.handle(ctx);
    });
    Health health = new Health(vertx);
    router.get("/health/live").handler(health::live);
    router.get("/health/ready").handler(health::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    Future<Void> docs = OpenApiRoutes.mount(vertx, router, OpenApiDocument.build(catalog, config, access.jwt() != null));

    // One route per prefix with its handlers in order (vertx-web matches a route's path once for all of
    // its handlers, but once per route): authentication, rate limits, then the role.
    Route v1 = router.route("/v1/*").handler(Auth.authenticate(keys, access.jwt()));
    Route admin = router.route("/admin/*").handler(Auth.authenticate(keys, access.jwt()));
    if (access.limiter() != null) {
      RateLimitHandler limits = new RateLimitHandler(access.limiter(), Auth::principal);
      v1.handler(limits);
      admin.handler(limits);
    }
    admin.handler(Auth.require(Role.ADMIN));
    // Roles per operation (API.md): reader GET and search; writer bulk, PATCH, DELETE, batch.
    // ... and each write counts against its key's and tenant's share of the node (fair admission).
    Handler<RoutingContext> admit = Admission.writes(WriteAdmission.of(vertx, config.writes().admission()));
    Handler<RoutingContext> writer = Auth.require(Role.WRITER);
    v1.handler(ctx -> {
      if (writes(ctx)) writer.handle(ctx);
      else ctx.next();
    }).handler(ctx -> {
      if (writes(ctx)) admit.handle(ctx);
      else ctx.next();
    });
    // Buffered bodies up to the limit; the NDJSON bulk route streams instead and mounts no BodyHandler.
    Handler<RoutingContext> body = JsonBody.create(config.http().bodyLimitBytes());

    router.get("/admin/slo").handler(ctx -> forward(ctx, MetricsVerticle.ADMIN_SLO, null));
    router.get("/admin/db").handler(ctx -> forward(ctx, MetricsVerticle.ADMIN_DB, null));
    router.get("/admin/vector").handler(ctx -> forward(ctx, dev.sluice.vector.VectorVerticle.ADMIN_VECTOR, null));

    router.get("/v1/:resource").handler(ctx -> forward(ctx, Addresses.READ, null));
    router.get("/v1/:resource/changes").handler(ChangeStream.handler(vertx, catalog, feed, Auth::principal));
    router.get("/v1/:resource/:id").handler(ctx -> forward(ctx, Addresses.GET, ctx.pathParam("id")));
    router.get("/v1/:resource/:id/similar").handler(ctx -> forward(ctx, Addresses.SIMILAR, ctx.pathParam("id")));
    router.post("/v1/batch").handler(body).handler(ctx -> forward(ctx, Addresses.BATCH, null));
    router.post("/v1/:resource/search").handler(body).handler(ctx -> forward(ctx, Addresses.SEARCH, null));
    router.patch("/v1/:resource").handler(body).handler(ctx -> forward(ctx, Addresses.PATCH, null));
    router.delete("/v1/:resource").handler(ctx -> forward(ctx, Addresses.DELETE, null));
    // NDJSON is streamed to the write verticle in chunks, never buffered; a JSON array is buffered up to the limit.
    router.post("/v1/:resource/bulk").handler(ctx -> {
      if (!BulkUpload.isNdjson(ctx.request())) {
        ctx.next();
        return;
      }
      Principal p = Auth.principal(ctx);
      BulkUpload.stream(vertx, ctx, new DataRequest(ctx.pathParam("resource"), p.tenant(), null,
              writeQuery(ctx, Addresses.BULK), null, true, false, p.role()), config)
          .onSuccess(json -> Responses.json(ctx, 200, json))
          .onFailure(ctx::fail);
    });
    router.post("/v1/:resource/bulk").handler(body).handler(ctx -> forward(ctx, Addresses.BULK, null));

    // The admin routes with path parameters after the /v1 ones: each is a regex that every request
    // passing it runs, and the hot reads should not pay for them.
    router.get("/admin/explain/:resource").handler(ctx -> forward(ctx, Addresses.ADMIN_EXPLAIN, null));
    MaintenanceRoutes.mount(router, vertx, delivery);
    AdviceRoutes.mount(router, vertx, delivery);

    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(Responses::failure);

    // Plain point reads are answered before the router (HotReads says why); all else is routed.
    Handler<HttpServerRequest> requests = local != null && config.http().hotReads()
        ? new HotReads(keys, access.limiter(), local, timeout, router) : router;
    // Protocol-level errors (malformed requests, no Host, ambiguous length) get the JSON error shape too.
    server = ProtocolGuard.server(vertx, new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setCompressionSupported(false)
        .setIdleTimeout(60)
        .setIdleTimeoutUnit(TimeUnit.SECONDS), requests);
    return docs.compose(v -> server.listen());
  }

  /** {@code /v1/{resource}/changes}: the change feed, a stream with no overall time bound. */
  static boolean isChangeFeed(String path) {
    int slash = path.startsWith("/v1/") ? path.indexOf('/', 4) : -1;
    return slash > 4 && slash == path.length() - "/changes".length() && path.endsWith("/changes");
  }

  /** PATCH, DELETE and POST under {@code /v1/} write, except POST .../search. */
  private static boolean writes(RoutingContext ctx) {
    HttpMethod m = ctx.request().method();
    return m.equals(HttpMethod.PATCH) || m.equals(HttpMethod.DELETE) || m.equals(HttpMethod.POST) && needsWriter(ctx.normalizedPath());
  }

  /** A POST under {@code /v1/} other than {@code /v1/.../search} (a read, although a POST) writes. */
  static boolean needsWriter(String path) {
    return path.startsWith("/v1/") && !(path.length() > "/v1//search".length() && path.endsWith("/search"));
  }

  /** The routes this verticle serves (OpenApiIT compares them with /openapi.json). */
  Router router() {
    return router;
  }

  /**
   * Runs the operation: in-process when a data verticle on this event loop serves it (see
   * {@link LocalCalls}), else over the event bus. Writes the reply bytes as they came.
   */
  private void forward(RoutingContext ctx, String address, String id) {
    Principal p = Auth.principal(ctx);
    String cacheControl = ctx.request().getHeader(HttpHeaders.CACHE_CONTROL);
    boolean noCache = cacheControl != null && cacheControl.contains("no-cache");
    DataRequest req = new DataRequest(ctx.pathParam("resource"), p.tenant(), id, writeQuery(ctx, address),
        ctx.body() == null ? null : ctx.body().buffer(), true, noCache, p.role());
    var op = local == null ? null : local.onThisThread(address);
    // The in-process call answers the reply itself; the bus answers a message holding it.
    Future<?> result = op != null ? local.call(address, op, req)
        : vertx.eventBus().<Object>request(address, req, delivery).map(Message::body);
    result.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      Object body = ar.result();
      if (body instanceof DataReply reply) {
        if (reply.cache() != null) ctx.response().putHeader(Responses.X_CACHE, reply.cache());
        Responses.json(ctx, 200, reply.json());
      } else {
        Responses.json(ctx, 200, ((JsonObject) body).toBuffer());
      }
    });
  }

  /** The query, plus the Idempotency-Key header for write operations (the write verticle's idempotencyKey) and the Prefer header. */
  private static JsonObject writeQuery(RoutingContext ctx, String address) {
    JsonObject q = query(ctx.queryParams());
    String key = ctx.request().getHeader(IDEMPOTENCY_KEY);
    if (key != null && (address.equals(Addresses.BULK) || address.equals(Addresses.PATCH)
        || address.equals(Addresses.DELETE) || address.equals(Addresses.BATCH))) {
      q.put(WriteRequest.IDEMPOTENCY_KEY, key);
    }
    Prefer.apply(ctx, address, q);
    return q;
  }

  /** Query parameters as JSON: one value as a string, a repeated key as an array. */
  static JsonObject query(MultiMap params) {
    JsonObject q = new JsonObject();
    for (String name : params.names()) {
      java.util.List<String> all = params.getAll(name);
      q.put(name, all.size() == 1 ? all.get(0) : new JsonArray(new java.util.ArrayList<>(all)));
    }
    return q;
  }

  @Override
  public Future<?> stop() {
    // Stop accepting, let in-flight requests finish within the grace period, then close.
    return server == null ? Future.succeededFuture()
        : server.shutdown(config.http().shutdownGraceMs(), TimeUnit.MILLISECONDS);
  }
}
