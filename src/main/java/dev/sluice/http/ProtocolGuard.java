package dev.sluice.http;

import dev.sluice.error.ApiError;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

import java.util.logging.Logger;

/**
 * The HTTP edge below the router: requests the router never sees, or should not, get the one JSON
 * error body too, and a request whose length is ambiguous closes its connection.
 * <ul>
 *   <li>{@link #invalidRequest}: what Netty could not decode (a request line over the limit: 414,
 *   headers over the limit: 431, anything else malformed: 400), answered and closed — Vert.x's
 *   default handler answers with an empty body.</li>
 *   <li>{@link #guard}: an HTTP/1.1 request without Host (RFC 9112 3.2: 400) or with a Host that is not a
 *   valid host[:port] (400), a request with both
 *   Content-Length and Transfer-Encoding, or a Transfer-Encoding that does not end in chunked
 *   (RFC 9112 6.3: the length cannot be trusted, so 400 and the connection closed: a proxy in front
 *   might frame the bytes differently and run the rest as a request of its own).</li>
 * </ul>
 * Netty resolves Content-Length + Transfer-Encoding by dropping the Content-Length header before
 * Vert.x sees the request, so {@link #watch} swaps Vert.x's request decoder for one that marks such a
 * request instead; it reaches into Vert.x's connection class for the Netty pipeline, as no public
 * API offers one (checked on Vert.x 5.0.7; when that changes, the mark is simply never set and the
 * other checks still hold).
 */
final class ProtocolGuard {
  private static final Logger LOG = Logger.getLogger(ProtocolGuard.class.getName());
  /** Set by {@link MarkingDecoder} on a request that came with both Content-Length and Transfer-Encoding. */
  static final String AMBIGUOUS_LENGTH = "x-sluice-ambiguous-length";

  private ProtocolGuard() {}

  /**
   * An HTTP server for {@code options} whose requests pass the guard before {@code router}. h2c upgrade is
   * switched off: its Upgrade header is a known way to smuggle requests past proxies, and without it the
   * HTTP/1.1 pipeline is complete before the first byte is read, which {@link #watch} relies on.
   */
  static HttpServer server(Vertx vertx, HttpServerOptions options, Handler<HttpServerRequest> router) {
    options.setHttp2ClearTextEnabled(false);
    return vertx.createHttpServer(options)
        .connectionHandler(watch(options))
        .invalidRequestHandler(ProtocolGuard::invalidRequest)
        .webSocketHandshakeHandler(ProtocolGuard::noWebSockets)
        .requestHandler(guard(router));
  }

  /** The server's invalidRequestHandler: decoder failures as JSON, then the connection closes. */
  static void invalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    ApiError error;
    if (cause instanceof TooLongHttpLineException) {
      error = new ApiError(414, "uri_too_long", "The request line is longer than allowed.");
    } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      error = new ApiError(431, "headers_too_large", "The request headers are larger than allowed.");
    } else {
      error = ApiError.badRequest("The request is not valid HTTP/1.1.");
    }
    refuse(req, error);
  }

  /** Checks what the decoder let through, then hands the request on. */
  static Handler<HttpServerRequest> guard(Handler<HttpServerRequest> next) {
    return req -> {
      ApiError error = problem(req);
      if (error == null) next.handle(req);
      else refuse(req, error);
    };
  }

  /**
   * The gateway serves no WebSockets. Having a handshake handler at all also makes Vert.x hand a
   * request with an unknown HTTP version to {@link #guard} instead of answering it with an empty 501
   * of its own. Such a request is a 400: RFC 9110 lets a server refuse a version with 505, but the
   * gateway answers every client's mistake with a 4xx.
   */
  static void noWebSockets(ServerWebSocketHandshake handshake) {
    handshake.reject(404);
  }

  private static ApiError problem(HttpServerRequest req) {
    if (req.version() == null) {
      return new ApiError(400, "http_version_not_supported", "Use HTTP/1.1 (or HTTP/1.0).");
    }
    if (req.version() == HttpVersion.HTTP_1_1 && req.headers().get(HttpHeaders.HOST) == null) {
      return ApiError.badRequest("An HTTP/1.1 request needs a Host header.");
    }
    if (req.headers().get(HttpHeaders.HOST) != null && req.authority() == null) {
      // vertx-web would fail it with its own exception, which the failure handler could only call a 500
      return ApiError.badRequest("The Host header is not a valid host[:port].");
    }
    if (!validEscapes(req.uri())) {
      return ApiError.badRequest("The request URI has a % that does not start an escape such as %2C.");
    }
    if (req.headers().contains(AMBIGUOUS_LENGTH)) {
      return ApiError.badRequest("Send Content-Length or Transfer-Encoding, not both.");
    }
    String te = req.headers().get(HttpHeaders.TRANSFER_ENCODING);
    if (te != null && !te.trim().toLowerCase(java.util.Locale.ROOT).endsWith("chunked")) {
      return ApiError.badRequest("Transfer-Encoding must end with chunked.");
    }
    return null;
  }

  /** Every % starts a %XX escape (the router would answer a broken one with a plain-text 400). */
  static boolean validEscapes(String uri) {
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Answers with the JSON error and closes the connection: what follows on it cannot be trusted to be a request. */
  private static void refuse(HttpServerRequest req, ApiError error) {
    HttpServerResponse res = req.response();
    res.setStatusCode(error.status())
        .putHeader(HttpHeaders.CONTENT_TYPE, Responses.JSON)
        .putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE)
        .end(error.toBuffer())
        .onComplete(ar -> req.connection().close());
  }

  /** The server's connectionHandler: puts {@link MarkingDecoder} in place of Vert.x's HTTP/1.x request decoder. */
  static Handler<HttpConnection> watch(HttpServerOptions options) {
    return conn -> {
      if (!(conn instanceof ConnectionBase base)) return;
      ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
      ChannelHandler decoder = pipeline.get("httpDecoder");
      if (decoder != null && decoder.getClass() == VertxHttpRequestDecoder.class) {
        pipeline.replace(decoder, "httpDecoder", new MarkingDecoder(options));
      } else if (decoder != null) {
        LOG.fine("unexpected HTTP decoder " + decoder.getClass().getName() + "; Content-Length + Transfer-Encoding not marked");
      }
    };
  }

  /** Vert.x's decoder, except that a request with both length headers is marked rather than silently resolved. */
  static final class MarkingDecoder extends VertxHttpRequestDecoder {
    MarkingDecoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.headers().set(AMBIGUOUS_LENGTH, "1");
    }
  }
}
