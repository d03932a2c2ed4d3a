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
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
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
  /** After a failure, how long and how much of the rest of an upload is read and dropped before closing. */
  private static final long LINGER_MS = 2000;
  private static final long LINGER_BYTES = 16L << 20;

  private final Vertx vertx;
  private final RoutingContext ctx;
  private final HttpServerRequest request;
  private final SluiceConfig.Writes limits;
  private final DeliveryOptions delivery;
  private final long requestTimeoutMs;
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
  private long discarded;
  /** The periodic check of the upload rate (and keep-alive of the session); -1 when not running. */
  private long rateTimer = -1;
  private long windowBytes;
  private long windowMs;
  /** The gateway held the body back (back-pressure) during the current window: the client is not judged. */
  private boolean heldBack;

  private BulkUpload(Vertx vertx, RoutingContext ctx, SluiceConfig config) {
    this.vertx = vertx;
    this.ctx = ctx;
    this.request = ctx.request();
    this.limits = config.writes();
    this.delivery = new DeliveryOptions().setSendTimeout(config.http().requestTimeoutMs()).setLocalOnly(true);
    this.requestTimeoutMs = config.http().requestTimeoutMs();
  }

  /** True when the request is an NDJSON upload, to be streamed instead of buffered. */
  public static boolean isNdjson(HttpServerRequest request) {
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    return type != null && type.regionMatches(true, 0, NDJSON, 0, NDJSON.length());
  }

  /**
   * Streams the request body into a bulk write described by {@code open} (resource, tenant and the
   * query: onConflict, conflictKey, idempotencyKey). Completes with the response body after the
   * commit, or fails with the error to send. After a failure the rest of the body is read and
   * dropped for a moment (so the client gets the answer, not a reset); a client still sending after
   * that has its connection closed.
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
    // An end handler of the routing context, not the response's single closeHandler, which the
    // router uses itself (its end handlers release the upload's admission).
    ctx.addEndHandler(ar -> {
      if (ar.failed()) fail(ApiError.unavailable("The client closed the connection."));
    });
    request.exceptionHandler(err -> fail(ApiError.badRequest("The upload was interrupted; nothing was written.")));
    RecordParser parser = RecordParser.newDelimited("\n", this::line);
    // The parser bounds what it buffers for an unfinished line; line() checks the finished ones.
    parser.maxRecordSize(limits.maxLineBytes());
    parser.exceptionHandler(err -> fail(lineTooLong(lineCount + 1)));
    request.handler(buf -> {
      if (done) {
        discard(buf.length());
        return;
      }
      bytes += buf.length();
      windowBytes += buf.length();
      if (bytes > limits.maxStreamBytes()) {
        fail(new ApiError(413, "too_large", "An upload may be at most " + limits.maxStreamBytes() + " bytes.",
            new JsonObject().put("maxStreamBytes", limits.maxStreamBytes())));
        return;
      }
      parser.handle(buf);
    });
    request.endHandler(v -> {
      boolean failed = done;
      ended = true;
      if (failed) return;
      parser.handle(Buffer.buffer("\n")); // the last line may lack its newline
      enqueue(true);
    });
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
      // A client that waits for "100 Continue" (curl does for large bodies) starts sending only now.
      if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) ctx.response().writeContinue();
      request.resume();
      startRateCheck();
    });
    return result.future();
  }

  /**
   * Every tick: a client that sent less than {@code writes.minUploadBytesPerSecond} over the last
   * {@code writes.uploadRateWindowMs} (while the gateway did not hold it back) is cut with 408 —
   * otherwise a trickle (a line every 29 s) holds an upload connection for up to streamTimeoutMs.
   * And the lines read so far go to the session even if they do not fill a chunk: the session
   * rolls back after {@code http.requestTimeoutMs} without a message, and a slow but steady upload
   * used to find it gone (503 "No data service is available" for the next chunk).
   */
  private void startRateCheck() {
    SluiceConfig.Admission a = limits.admission();
    long tick = Math.max(50, Math.min(a.uploadRateWindowMs(), requestTimeoutMs / 3));
    rateTimer = vertx.setPeriodic(tick, id -> {
      if (done || ended) return;
      windowMs += tick;
      if (windowMs >= a.uploadRateWindowMs()) {
        long least = (long) a.minUploadBytesPerSecond() * windowMs / 1000;
        if (!heldBack && windowBytes < least) {
          fail(new ApiError(408, "timeout", "The upload arrived slower than " + a.minUploadBytesPerSecond()
              + " bytes/s; nothing was written.", new JsonObject().put("minUploadBytesPerSecond", a.minUploadBytesPerSecond())
              .put("windowMs", a.uploadRateWindowMs())));
          return;
        }
        windowMs = 0;
        windowBytes = 0;
        heldBack = inFlight && !ready.isEmpty();
      }
      if (!inFlight && ready.isEmpty()) enqueue(false); // keeps the session alive, with the lines so far
    });
  }

  private ApiError lineTooLong(long line) {
    return new ApiError(413, "too_large", "Line " + line + " is longer than " + limits.maxLineBytes() + " bytes.",
        new JsonObject().put("line", line).put("maxLineBytes", limits.maxLineBytes()));
  }

  private void line(Buffer line) {
    if (done) return;
    lineCount++;
    int n = line.length();
    if (n > limits.maxLineBytes()) {
      fail(lineTooLong(lineCount));
      return;
    }
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
    if (!ended && inFlight && !ready.isEmpty()) {
      request.pause();
      heldBack = true;
    }
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
        fail(sessionGone(ar.cause()) ? new ApiError(504, "timeout",
            "The upload stalled and its transaction was rolled back; nothing was written.") : ar.cause());
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
      // The client may still be sending. Answer now, and read (and drop) the rest for a moment, so
      // the client sees the answer instead of a reset connection; then close if it keeps going.
      request.resume();
      vertx.setTimer(LINGER_MS, id -> {
        if (!ended) closeConnection();
      });
    }
    result.fail(err);
  }

  private void discard(int n) {
    discarded += n;
    if (discarded > LINGER_BYTES && !ended) closeConnection();
  }

  private void closeConnection() {
    if (request.version() == HttpVersion.HTTP_2) ctx.response().reset();
    else request.connection().close();
  }

  /** The session ended on its own (idle bound) and unregistered: no handler at its address. */
  private static boolean sessionGone(Throwable err) {
    return err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS;
  }

  private void cancelTimer() {
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
    if (rateTimer >= 0) vertx.cancelTimer(rateTimer);
    rateTimer = -1;
  }
}
