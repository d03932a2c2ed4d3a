package dev.sluice.http;

import dev.sluice.auth.ApiKeys;
import dev.sluice.auth.Principal;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.bus.LocalCalls;
import dev.sluice.ratelimit.RateLimiter;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.handler.HttpException;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The hottest request, a point read {@code GET /v1/{resource}/{id}}, answered before the router: in
 * the profile of 2026-12-02 vertx-web's routing (a routing context per request, some twenty routes
 * matched in order, the regexes of the path-parameter routes) was 2.2 µs of the 17 µs of gateway CPU
 * per uncached point read, and a larger share of a cache hit. The lane runs the same steps the routes
 * run for this request: the API key (authentication), the deadline, the point-read operation on this
 * event loop, the reply bytes, and any failure through the same JSON error writer.
 *
 * <p>Only the plain case takes it; everything else goes to the router, which answers it as before:
 * not HTTP/1.1 GET, a path other than {@code /v1/} plus two segments of unreserved characters (so no
 * escapes or dot segments to normalise, and {@code changes}, the change feed, excluded), no API key
 * (a JWT or a missing credential), a caller some rate limit applies to, or no point-read verticle on
 * this event loop. A missing or invalid Host never gets here: {@link ProtocolGuard} answers it first. The query string is decoded as vertx-web decodes it.
 * {@code http.hotReads: false} sends every request through the router.
 */
final class HotReads implements Handler<HttpServerRequest> {
  private static final int SEGMENT_MAX = 128;

  private final ApiKeys keys;
  private final RateLimiter limiter;
  private final LocalCalls local;
  private final RequestDeadlines deadlines;
  private final Handler<HttpServerRequest> router;

  /** @param limiter null when no rate limits are configured */
  HotReads(ApiKeys keys, RateLimiter limiter, LocalCalls local, RequestDeadlines deadlines, Handler<HttpServerRequest> router) {
    this.keys = keys;
    this.limiter = limiter;
    this.local = local;
    this.deadlines = deadlines;
    this.router = router;
  }

  @Override
  public void handle(HttpServerRequest req) {
    if (!HttpMethod.GET.equals(req.method()) || req.version() != HttpVersion.HTTP_1_1) {
      router.handle(req);
      return;
    }
    String path = req.path();
    int slash = pointReadSlash(path);
    Principal p;
    Function<DataRequest, Future<DataReply>> op;
    if (slash < 0
        || (p = keys.fromAuthorizationHeader(req.getHeader(HttpHeaders.AUTHORIZATION)).orElse(null)) == null
        || limiter != null && limiter.limits(p, path)
        || (op = local.onThisThread(Addresses.GET)) == null) {
      router.handle(req);
      return;
    }
    MultiMap params = queryParams(req.uri());
    if (params == null) {
      router.handle(req); // an undecodable query: the router answers its 400
      return;
    }
    String cacheControl = req.getHeader(HttpHeaders.CACHE_CONTROL);
    DataRequest read = new DataRequest(path.substring(4, slash), p.tenant(), path.substring(slash + 1),
        HttpVerticle.query(params), null, true, cacheControl != null && cacheControl.contains("no-cache"), p.role());
    HttpServerResponse res = req.response();
    RequestDeadlines.Pending deadline = deadlines.track(() -> {
      if (!res.ended() && !res.closed()) Responses.failure(req, p, new HttpException(504));
    });
    local.call(Addresses.GET, op, read).onComplete(ar -> {
      deadline.unlink();
      if (res.ended() || res.closed()) return; // answered by the deadline, or the client left
      if (ar.failed()) {
        Responses.failure(req, p, ar.cause());
        return;
      }
      DataReply reply = ar.result();
      if (reply.cache() != null) res.putHeader(Responses.X_CACHE, reply.cache());
      res.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON).end(reply.json());
    });
  }

  /**
   * The index of the slash between resource and id when {@code path} is {@code /v1/{resource}/{id}} of
   * unreserved characters (RFC 3986: letters, digits, - . _ ~) and neither segment is a dot segment nor
   * the id {@code changes}; else -1.
   */
  static int pointReadSlash(String path) {
    if (!path.startsWith("/v1/")) return -1;
    int slash = -1;
    for (int i = 4; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '/') {
        if (slash >= 0) return -1;
        slash = i;
      } else if (!unreserved(c)) {
        return -1;
      }
    }
    if (slash < 0) return -1;
    String resource = path.substring(4, slash);
    String id = path.substring(slash + 1);
    return plainSegment(resource) && plainSegment(id) && !id.equals("changes") ? slash : -1;
  }

  private static boolean plainSegment(String s) {
    return !s.isEmpty() && s.length() <= SEGMENT_MAX && !s.equals(".") && !s.equals("..");
  }

  private static boolean unreserved(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
        || c == '~';
  }

  /**
   * The query parameters exactly as vertx-web's {@code RoutingContext.queryParams()} decodes them (5.0.7:
   * Netty's QueryStringDecoder into a case-insensitive multimap), or null where it would answer 400.
   */
  static MultiMap queryParams(String uri) {
    MultiMap params = MultiMap.caseInsensitiveMultiMap();
    if (uri.indexOf('?') < 0) return params;
    try {
      for (Map.Entry<String, List<String>> e : new QueryStringDecoder(uri).parameters().entrySet()) {
        params.add(e.getKey(), e.getValue());
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    return params;
  }
}
