package dev.sluice.write;

import dev.sluice.error.ApiError;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;

import java.util.function.Function;

/**
 * One transaction on a pooled connection: commit when the work succeeds, roll back when it fails.
 * Unlike {@code Pool.withTransaction}, the connection stays in hand after a rollback, so a refused
 * chunk can be explained (which row, see {@link RowFailure}) before the connection goes back.
 */
final class Tx {
  private Tx() {}

  static <T> Future<T> run(Pool pool, Function<SqlConnection, Future<T>> work) {
    return pool.getConnection().compose(conn -> conn.begin()
            .compose(tx -> run(conn, tx, work))
            .eventually(conn::close))
        .recover(err -> Future.failedFuture(connectionLost(err)));
  }

  private static <T> Future<T> run(SqlConnection conn, Transaction tx, Function<SqlConnection, Future<T>> work) {
    Future<T> done;
    try {
      done = work.apply(conn);
    } catch (RuntimeException e) {
      done = Future.failedFuture(e);
    }
    return done.transform(ar -> ar.succeeded()
        ? tx.commit().map(ar.result())
        : rollback(tx).compose(v -> RowFailure.explain(ar.cause(), conn)).compose(Future::failedFuture));
  }

  /**
   * A connection the database dropped (a restart, a network cut) can surface as a plain socket
   * error; for the client that is the database being unavailable (503), not an internal error.
   */
  static Throwable connectionLost(Throwable err) {
    if (err instanceof java.io.IOException) return ApiError.unavailable("The database is unavailable; retry shortly.");
    return err;
  }

  /** Rolls back; a transaction the client already ended (or a dead connection) is fine too. */
  static Future<Void> rollback(Transaction tx) {
    return tx.rollback().otherwiseEmpty();
  }
}
