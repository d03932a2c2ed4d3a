package dev.sluice.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The id that ties a failed request's log lines to what its client saw: the client's own
 * {@code X-Request-Id} when it is a sane token (a proxy's or a caller's trace id), otherwise one made
 * here. Made only when something is logged or answered with an error, so successful requests pay
 * nothing; error responses carry it back in {@code X-Request-Id}.
 */
final class RequestIds {
  static final CharSequence HEADER = HttpHeaders.createOptimized("X-Request-Id");
  private static final String KEY = "sluice.requestId";
  private static final int MAX_LENGTH = 128;

  private RequestIds() {}

  static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    if (id != null) return id;
    id = of(ctx.request());
    ctx.put(KEY, id);
    return id;
  }

  /** The id of a request answered without a routing context (see {@link HotReads}): asked for once. */
  static String of(HttpServerRequest request) {
    String given = request.getHeader(HEADER);
    return acceptable(given) ? given : Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
  }

  /** 1 to 128 visible ASCII characters: nothing that could break a log line or a header. */
  static boolean acceptable(String id) {
    if (id == null || id.isEmpty() || id.length() > MAX_LENGTH) return false;
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
  }
}
