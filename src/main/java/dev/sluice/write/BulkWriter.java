package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.sql.ConflictMode;
import dev.sluice.sql.InsertSql;
import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes validated rows of one bulk operation into an open transaction, a chunk at a time: each
 * chunk is one {@code INSERT ... SELECT FROM unnest(...)} per field shape (uniform input: one
 * statement per chunk). Chunks run one after the other ({@link #submit} chains them), so a caller
 * can parse the next chunk while the database writes this one. Counts are exact: inserted from
 * the rows returned, skipped as the rest of a chunk, updated from {@code xmax <> 0}.
 */
final class BulkWriter {
  private final WriteTarget target;
  private final long tenant;
  private final ConflictMode mode;
  private final List<WriteTarget.Column> conflictKey;
  private final SqlConnection conn;
  private final InsertSql sqls;
  private final Changes changes;
  private final int chunkRows;
  private final int chunkBytes;
  private final int operation;
  private final EmbeddingFill fill;

  private List<InputRow> pending = new ArrayList<>();
  private long pendingBytes;
  private Future<Void> tail = Future.succeededFuture();
  private long inserted;
  private long skipped;
  private long updated;
  private boolean cancelled;
  /** The primary keys of the rows written, in order, when the caller wants them back (return=representation). */
  private List<Object> written;

  /** @param operation the index of this operation in a batch (for error details), or -1 */
  BulkWriter(WriteTarget target, long tenant, ConflictMode mode, List<WriteTarget.Column> conflictKey, SqlConnection conn,
             InsertSql sqls, Changes changes, int chunkRows, int chunkBytes, int operation, EmbeddingFill fill) {
    this.fill = fill;
    this.target = target;
    this.tenant = tenant;
    this.mode = mode;
    this.conflictKey = conflictKey;
    this.conn = conn;
    this.sqls = sqls;
    this.changes = changes;
    this.chunkRows = chunkRows;
    this.chunkBytes = chunkBytes;
    this.operation = operation;
  }

  /** Collects the primary key of every row inserted or updated from now on (in write order). */
  BulkWriter collectWritten() {
    written = new ArrayList<>();
    return this;
  }

  List<Object> writtenKeys() {
    return written;
  }

  /** Buffers a row; {@code bytes} is its input size (0 when unknown). */
  void add(InputRow row, int bytes) {
    pending.add(row);
    pendingBytes += bytes;
  }

  boolean chunkFull() {
    return pending.size() >= chunkRows || pendingBytes >= chunkBytes;
  }

  /** Queues the buffered rows as a chunk after the ones before; completes when it is written. */
  Future<Void> submit() {
    if (pending.isEmpty()) return tail;
    List<InputRow> rows = pending;
    pending = new ArrayList<>(Math.min(chunkRows, 4096));
    pendingBytes = 0;
    tail = tail.compose(v -> write(rows));
    return tail;
  }

  /**
   * Stops writing: no chunk starts after this, so nothing can run once the transaction is rolled
   * back (on a pooled connection it would run outside it). Completes when the chunk in flight, if
   * any, has finished — only then may the caller roll back.
   */
  Future<Void> cancel() {
    cancelled = true;
    return tail.transform(ar -> Future.succeededFuture());
  }

  /** Completes when every chunk submitted so far is written (or fails with the first failure). */
  Future<Void> written() {
    return tail;
  }

  /** Writes everything: the rows of a buffered request, chunk by chunk. */
  Future<JsonObject> writeAll(List<InputRow> rows) {
    for (InputRow r : rows) {
      add(r, 0);
      if (chunkFull()) submit();
    }
    return submit().map(v -> result());
  }

  JsonObject result() {
    return new JsonObject().put("inserted", inserted).put("skipped", skipped).put("updated", updated);
  }

  private Future<Void> write(List<InputRow> given) {
    if (cancelled) return Future.failedFuture(new IllegalStateException("the write was cancelled"));
    return fill.rows(given).compose(this::writeChunk);
  }

  private Future<Void> writeChunk(List<InputRow> rows) {
    // One statement per shape, in the order shapes first appear.
    Map<Long, List<InputRow>> shapes = new LinkedHashMap<>();
    for (InputRow r : rows) shapes.computeIfAbsent(r.mask(), m -> new ArrayList<>()).add(r);
    if (shapes.size() == 1) return writeShape(rows);
    Future<Void> f = Future.succeededFuture();
    for (List<InputRow> shape : shapes.values()) f = f.compose(v -> writeShape(shape));
    return f;
  }

  private Future<Void> writeShape(List<InputRow> rows) {
    if (cancelled) return Future.failedFuture(new IllegalStateException("the write was cancelled"));
    try {
      if (mode != ConflictMode.SKIP) checkRepeatedKeys(rows);
    } catch (ApiError e) {
      return Future.failedFuture(e);
    }
    boolean ids = changes.wantsIds(target, tenant, "insert") || written != null;
    InsertSql.Statement st = sqls.of(target, rows.get(0).mask(), mode, conflictKey, ids);
    Tuple params = Tuple.tuple();
    for (int ci : st.columns()) {
      Object[] column = Values.newArray(target.columns.get(ci).type(), rows.size());
      for (int i = 0; i < column.length; i++) column[i] = rows.get(i).values()[ci];
      params.addValue(column);
    }
    return conn.preparedQuery(st.sql()).execute(params)
        .recover(err -> Future.failedFuture(RowFailure.of(err, target, st, rows, operation)))
        .compose(rs -> count(st, rows, rs));
  }

  private Future<Void> count(InsertSql.Statement st, List<InputRow> rows, RowSet<Row> rs) {
    if (mode != ConflictMode.UPDATE) {
      long n;
      if (st.returnsIds()) {
        n = 0;
        for (Row r : rs) {
          changes.add(target, tenant, "insert", r.getValue(0));
          if (written != null) written.add(r.getValue(0));
          n++;
        }
      } else {
        n = rs.rowCount();
        changes.addUnknown(target, tenant, "insert", n);
      }
      inserted += n;
      skipped += rows.size() - n;
      return Future.succeededFuture();
    }
    Set<String> touched = rs.size() < rows.size() ? new HashSet<>() : null;
    for (Row r : rs) {
      boolean fresh = r.getBoolean(1);
      if (fresh) inserted++;
      else updated++;
      changes.add(target, tenant, fresh ? "insert" : "update", r.getValue(0));
      if (written != null) written.add(r.getValue(0));
      if (touched != null) touched.add(keyOf(r));
    }
    if (touched == null) return Future.succeededFuture();
    // A row neither inserted nor updated hit a key held by a row of another tenant.
    for (InputRow row : rows) {
      String k = keyOf(row);
      if (k != null && !touched.contains(k)) {
        String field = conflictKey.size() == 1 ? conflictKey.get(0).name() : null;
        JsonObject details = RowReader.rowsDetails(List.of(new RowError(row.index(), row.line(), field,
            "its key belongs to a row this key may not change")));
        if (operation >= 0) details.put("operation", operation);
        return Future.failedFuture(new ApiError(409, "conflict",
            "Row " + row.index() + " has the key of a row this key may not change.", details));
      }
    }
    return Future.succeededFuture();
  }

  private String keyOf(Row r) {
    if (conflictKey.size() == 1 && conflictKey.get(0) == target.primaryKey) return String.valueOf(r.getValue(0));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < conflictKey.size(); i++) sb.append(r.getValue(2 + i)).append('\u0001');
    return sb.toString();
  }

  private String keyOf(InputRow row) {
    StringBuilder sb = new StringBuilder();
    for (WriteTarget.Column c : conflictKey) {
      Object v = row.values()[c.index()];
      if (v == null) return null;
      if (conflictKey.size() == 1 && c == target.primaryKey) return String.valueOf(v);
      sb.append(v).append('\u0001');
    }
    return sb.toString();
  }

  /**
   * Two rows of one statement with the same key: PostgreSQL would refuse the whole statement
   * (an upsert cannot touch a row twice), so say which row repeats which, up front.
   */
  private void checkRepeatedKeys(List<InputRow> rows) {
    List<WriteTarget.Column> key = mode == ConflictMode.UPDATE ? conflictKey : List.of(target.primaryKey);
    Map<Object, InputRow> seen = new HashMap<>(rows.size() * 2);
    for (InputRow row : rows) {
      Object k;
      if (key.size() == 1) {
        k = row.values()[key.get(0).index()];
      } else {
        List<Object> parts = new ArrayList<>(key.size());
        for (WriteTarget.Column c : key) parts.add(row.values()[c.index()]);
        k = parts.contains(null) ? null : parts;
      }
      if (k == null) continue;
      InputRow first = seen.putIfAbsent(k, row);
      if (first != null) {
        String field = key.size() == 1 ? key.get(0).name() : null;
        JsonObject details = RowReader.rowsDetails(List.of(new RowError(row.index(), row.line(), field,
            "repeats the key of row " + first.index())));
        if (operation >= 0) details.put("operation", operation);
        throw new ApiError(409, "conflict", "Row " + row.index() + " repeats the key of row " + first.index() + ".", details);
      }
    }
  }
}
