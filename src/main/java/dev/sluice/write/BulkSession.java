package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.sql.ConflictMode;
import dev.sluice.bus.DataReply;
import dev.sluice.bus.DataRequest;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;

import java.security.MessageDigest;
import java.util.List;
import java.util.UUID;

/**
 * The write side of one NDJSON upload: a transaction held open while the HTTP verticle sends the
 * body's lines in {@link StreamChunk}s to this session's own (local) address.
 *
 * <p>Why a session on the bus rather than handing the HTTP request itself to this verticle: the
 * request's handlers run on the HTTP verticle's event loop and the connection's callbacks on this
 * one, so sharing the stream would put one request's state on two threads. Here each side keeps
 * to its own loop: the HTTP side splits lines and pauses the request while a chunk waits for its
 * acknowledgement (back-pressure: at most a chunk in flight and one queued), and this side parses,
 * validates and writes. The transaction never leaves this verticle.
 *
 * <p>A chunk is acknowledged once the chunks before it are written, so the next one is parsed
 * while the database writes this one. The last chunk commits and gets the response; an abort (the
 * client went away), a failure or {@code http.requestTimeoutMs} without a message rolls back.
 */
final class BulkSession {
  /** Opens a session: a {@link DataRequest} (resource, tenant, query) → {"session": address}. Local only. */
  static final String OPEN = "sluice.bulk.stream";

  private final WriteVerticle owner;
  private final WriteTarget target;
  private final long tenant;
  private final String key;
  private final MessageDigest digest;
  private final RowReader reader;
  private final Changes changes;
  private final String address = OPEN + "." + UUID.randomUUID();
  private final long maxRows;
  private ConflictMode mode;
  private List<WriteTarget.Column> conflictKey;
  private SqlConnection conn;
  private Transaction tx;
  private BulkWriter writer;
  private Idempotency.Claim claim;
  private MessageConsumer<StreamChunk> consumer;
  private long idleTimer = -1;
  private long rows;
  private boolean closed;
  /** The last chunk arrived: the commit is under way and an abort can no longer undo it. */
  private boolean finishing;

  private BulkSession(WriteVerticle owner, WriteTarget target, DataRequest req) {
    this.owner = owner;
    this.target = target;
    this.tenant = req.tenant();
    this.key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    this.digest = key == null ? null : Idempotency.digest("bulk.ndjson", target.name(), req.query());
    this.reader = new RowReader(target, tenant);
    this.changes = new Changes(owner.settings.changeIdsCap());
    this.maxRows = owner.settings.maxStreamRows();
  }

  /** Checks the request, begins the transaction, claims the key; completes with the session's address. */
  static Future<String> open(WriteVerticle owner, DataRequest req) {
    WriteTarget t = owner.writable(req, req.resource());
    t.requireInsertable();
    BulkSession s = new BulkSession(owner, t, req);
    s.mode = ConflictMode.parse(req.param(WriteRequest.ON_CONFLICT));
    s.conflictKey = t.conflictKey(req.param(WriteRequest.CONFLICT_KEY));
    // Uploads hold their connection for as long as the client sends: a pool of their own, so they never take the other writes'.
    return owner.uploads.getConnection()
        .compose(conn -> {
          s.conn = conn;
          return conn.begin();
        })
        .compose(tx -> {
          s.tx = tx;
          return dev.sluice.data.Database.localSettings(s.conn, owner.config.pg());
        })
        .compose(v -> s.key == null ? Future.<Idempotency.Claim>succeededFuture(null)
            : Idempotency.claim(s.conn, s.tenant, s.key, owner.settings.idempotencyTtlSeconds()))
        .compose(claim -> {
          s.claim = claim;
          if (claim != null && !claim.owned()) {
            // A repeat: nothing will be written; the body is only read to compare its hash.
            return s.tx.commit().eventually(() -> {
              s.releaseConnection();
              return Future.succeededFuture();
            });
          }
          s.writer = owner.newWriter(t, s.tenant, s.mode, s.conflictKey, s.conn, s.changes, -1);
          return Future.succeededFuture();
        })
        .compose(v -> {
          s.consumer = owner.vertx().eventBus().localConsumer(s.address, s::handle);
          return s.consumer.completion();
        })
        .map(v -> {
          s.touch();
          return s.address;
        })
        .onFailure(err -> s.abandon());
  }

  private void handle(Message<StreamChunk> m) {
    if (closed) {
      ended(m);
      return;
    }
    touch();
    StreamChunk c = m.body();
    if (c.abort()) {
      abandon();
      return;
    }
    if (claim != null && !claim.owned()) {
      replay(m, c);
      return;
    }
    Future<Void> before = writer.written();
    try {
      absorb(c);
    } catch (RuntimeException e) {
      fail(m, e);
      return;
    }
    if (reader.failed()) {
      fail(m, reader.failure());
      return;
    }
    if (c.last()) {
      finish(m);
    } else {
      before.onComplete(ar -> {
        if (closed) ended(m);
        else if (ar.succeeded()) m.reply(null);
        else fail(m, ar.cause());
      });
    }
  }

  /** A chunk for a session that already ended: it went idle (or failed) and was rolled back. */
  private static void ended(Message<StreamChunk> m) {
    ErrorMapper.fail(m, new ApiError(504, "timeout", "The upload stalled longer than the request timeout and was rolled back; "
        + "nothing was written."));
  }

  /** Parses and validates the chunk's lines into the writer, submitting full chunks as they fill. */
  private void absorb(StreamChunk c) {
    long line = c.firstLine();
    for (Buffer b : c.lines()) {
      if (digest != null) {
        digest.update(b.getBytes());
        digest.update((byte) '\n');
      }
      if (!blank(b)) {
        if (rows >= maxRows) throw JsonInput.tooManyRows(maxRows);
        Object json = JsonInput.parseLine(b, line);
        if (!reader.full()) {
          InputRow r = reader.read(rows, line, json);
          if (r != null && !reader.failed()) {
            writer.add(r, b.length());
            if (writer.chunkFull()) writer.submit();
          }
        }
        rows++;
      }
      line++;
    }
  }

  private static boolean blank(Buffer b) {
    for (int i = 0; i < b.length(); i++) {
      byte x = b.getByte(i);
      if (x != ' ' && x != '\t' && x != '\r') return false;
    }
    return true;
  }

  private void finish(Message<StreamChunk> m) {
    finishing = true;
    writer.submit()
        .compose(v -> {
          Buffer body = writer.result().toBuffer();
          return key == null ? Future.succeededFuture(body)
              : Idempotency.complete(conn, tenant, key, digest.digest(), body).map(body);
        })
        .compose(body -> tx.commit().map(body))
        .onComplete(ar -> {
          if (ar.failed()) {
            fail(m, ar.cause());
            return;
          }
          close();
          releaseConnection();
          changes.publish(owner.vertx().eventBus(), owner.fence).onComplete(x -> m.reply(new DataReply(ar.result(), null)));
        });
  }

  /** A repeated Idempotency-Key: hash the body; at the end, the stored response or a 409. */
  private void replay(Message<StreamChunk> m, StreamChunk c) {
    for (Buffer b : c.lines()) {
      digest.update(b.getBytes());
      digest.update((byte) '\n');
    }
    if (!c.last()) {
      m.reply(null);
      return;
    }
    close();
    try {
      m.reply(new DataReply(claim.replay(digest.digest()), null));
    } catch (ApiError e) {
      ErrorMapper.fail(m, e);
    }
  }

  /** Rolls back, explains a refused row (the connection is free again), and fails the message. */
  private void fail(Message<StreamChunk> m, Throwable err) {
    if (closed) {
      ErrorMapper.fail(m, err);
      return;
    }
    close();
    settled().compose(v -> tx == null ? Future.succeededFuture() : Tx.rollback(tx))
        .compose(v -> conn == null ? Future.succeededFuture(err) : RowFailure.explain(err, conn))
        .onComplete(ar -> {
          releaseConnection();
          ErrorMapper.fail(m, ar.succeeded() ? ar.result() : err);
        });
  }

  /** Ends the session without an answer: the client is gone, or the session went idle. */
  private void abandon() {
    if (finishing || (closed && conn == null)) return;
    close();
    settled().compose(v -> tx == null ? Future.<Void>succeededFuture() : Tx.rollback(tx))
        .onComplete(ar -> releaseConnection());
  }

  /** Stops the writer and waits for its statement in flight, so the rollback comes after it. */
  private Future<Void> settled() {
    return writer == null ? Future.succeededFuture() : writer.cancel();
  }

  private void close() {
    closed = true;
    if (idleTimer >= 0) owner.vertx().cancelTimer(idleTimer);
    if (consumer != null) consumer.unregister();
  }

  private void releaseConnection() {
    SqlConnection c = conn;
    conn = null;
    if (c != null) c.close();
  }

  /** Restarts the idle bound: a session without a message for a request timeout is rolled back. */
  private void touch() {
    if (idleTimer >= 0) owner.vertx().cancelTimer(idleTimer);
    idleTimer = owner.vertx().setTimer(owner.config.http().requestTimeoutMs(), id -> {
      idleTimer = -1;
      if (!closed) abandon();
    });
  }
}
