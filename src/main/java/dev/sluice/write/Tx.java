package dev.sluice.write;

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
            .eventually(conn::close));
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

  /** Rolls back; a transaction the client already ended (or a dead connection) is fine too. */
  static Future<Void> rollback(Transaction tx) {
    return tx.rollback().otherwiseEmpty();
  }
}
