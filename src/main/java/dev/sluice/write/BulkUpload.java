package dev.sluice.write;

import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP side of an NDJSON bulk upload ({@code Content-Type: application/x-ndjson}), run on the
 * HTTP verticle's event loop. It never buffers the body: a {@link RecordParser} splits it into
 * lines, lines are grouped into {@link StreamChunk}s of {@code writes.chunkRows} lines or
 * {@code writes.chunkBytes}, and each chunk is sent to the write verticle's {@link BulkSession},
 * which holds the transaction. While a chunk waits for its acknowledgement and the next is full,
 * the request is paused, so memory stays bounded (a chunk in flight, one queued, and what one
 * network read delivered) however large the upload. See {@link BulkSession} for why the
 * transaction stays in the write verticle and only lines cross the bus.
 */
public final class BulkUpload {
  private static final String NDJSON = "application/x-ndjson";

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerRequest request;
  private final SluiceConfig.Writes limits;
  private final DeliveryOptions delivery;
  private final Promise<Buffer> result = Promise.promise();
  private final ArrayDeque<StreamChunk> ready = new ArrayDeque<>();
  private String session;
  private List<Buffer> lines = new ArrayList<>();
  private int linesBytes;
  private long firstLine = 1;
  private long lineCount;
  private long bytes;
  private boolean inFlight;
  private boolean lastSent;
  private boolean ended;
  private boolean done;
  private long timer = -1;

  private BulkUpload(Vertx vertx, RoutingContext ctx, SluiceConfig config) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.request = ctx.request();
    this.limits = config.writes();
    this.delivery = new DeliveryOptions().setSendTimeout(config.http().requestTimeoutMs()).setLocalOnly(true);
  }

  /** True when the request is an NDJSON upload, to be streamed instead of buffered. */
  public static boolean isNdjson(HttpServerRequest request) {
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    return type != null && type.regionMatches(true, 0, NDJSON, 0, NDJSON.length());
  }

  /**
   * Streams the request body into a bulk write described by {@code open} (resource, tenant and the
   * query: onConflict, conflictKey, idempotencyKey). Completes with the response body after the
   * commit, or fails with the error to send; on failure before the body was read to its end, the
   * connection is closed after the error response (the client should not keep uploading).
   */
  public static Future<Buffer> stream(Vertx vertx, RoutingContext ctx, DataRequest open, SluiceConfig config) {
    return new BulkUpload(vertx, ctx, config).start(open);
  }

  private Future<Buffer> start(DataRequest open) {
    request.pause();
    timer = vertx.setTimer(limits.streamTimeoutMs(), id -> {
      timer = -1;
      fail(new ApiError(504, "timeout", "The upload took longer than " + limits.streamTimeoutMs() + " ms; nothing was written."));
    });
    ctx.response().closeHandler(v -> fail(ApiError.unavailable("The client closed the connection.")));
    request.exceptionHandler(err -> fail(ApiError.badRequest("The upload was interrupted; nothing was written.")));
    vertx.eventBus().<JsonObject>request(BulkSession.OPEN, open, delivery).onComplete(ar -> {
      if (done) {
        if (ar.succeeded()) vertx.eventBus().send(ar.result().body().getString("session"), StreamChunk.abortion(), delivery);
        return;
      }
      if (ar.failed()) {
        fail(ar.cause());
        return;
      }
      session = ar.result().body().getString("session");
      RecordParser parser = RecordParser.newDelimited("\n", this::line);
      parser.maxRecordSize(limits.maxLineBytes());
      parser.exceptionHandler(err -> fail(new ApiError(413, "too_large",
          "Line " + (lineCount + 1) + " is longer than " + limits.maxLineBytes() + " bytes.",
          new JsonObject().put("line", lineCount + 1).put("maxLineBytes", limits.maxLineBytes()))));
      request.handler(buf -> {
        if (done) return;
        bytes += buf.length();
        if (bytes > limits.maxStreamBytes()) {
          fail(new ApiError(413, "too_large", "An upload may be at most " + limits.maxStreamBytes() + " bytes.",
              new JsonObject().put("maxStreamBytes", limits.maxStreamBytes())));
          return;
        }
        parser.handle(buf);
      });
      request.endHandler(v -> {
        if (done) return;
        parser.handle(Buffer.buffer("\n")); // the last line may lack its newline
        ended = true;
        enqueue(true);
      });
      request.resume();
    });
    return result.future();
  }

  private void line(Buffer line) {
    if (done) return;
    lineCount++;
    int n = line.length();
    if (n > 0 && line.getByte(n - 1) == '\r') line = line.getBuffer(0, n - 1);
    lines.add(line);
    linesBytes += line.length();
    if (lines.size() >= limits.chunkRows() || linesBytes >= limits.chunkBytes()) enqueue(false);
  }

  private void enqueue(boolean last) {
    ready.add(new StreamChunk(firstLine, lines, last, false));
    firstLine = lineCount + 1;
    lines = new ArrayList<>();
    linesBytes = 0;
    pump();
    // Back-pressure: with a chunk in flight and another waiting, stop reading until it is acknowledged.
    if (!ended && inFlight && !ready.isEmpty()) request.pause();
  }

  private void pump() {
    if (done || inFlight || ready.isEmpty()) return;
    StreamChunk chunk = ready.poll();
    inFlight = true;
    if (chunk.last()) lastSent = true;
    vertx.eventBus().request(session, chunk, delivery).onComplete(ar -> {
      inFlight = false;
      if (done) return;
      if (ar.failed()) {
        fail(ar.cause());
      } else if (chunk.last()) {
        finish(((DataReply) ar.result().body()).json());
      } else {
        pump();
        if (!ended && ready.isEmpty()) request.resume();
      }
    });
  }

  private void finish(Buffer body) {
    done = true;
    cancelTimer();
    result.complete(body);
  }

  private void fail(Throwable err) {
    if (done) return;
    done = true;
    cancelTimer();
    // Once the last chunk is on its way the commit may already run: it decides, not an abort.
    if (session != null && !lastSent) vertx.eventBus().send(session, StreamChunk.abortion(), delivery);
    if (!ended) {
      // The client is still sending: answer, then close, rather than read the rest for nothing.
      ctx.addEndHandler(v -> {
        if (request.version() != HttpVersion.HTTP_2) request.connection().close();
        else ctx.response().reset();
      });
    }
    result.fail(err);
  }

  private void cancelTimer() {
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
  }
}
