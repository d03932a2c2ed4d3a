package dev.sluice.data;

import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import dev.sluice.replica.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;

import java.util.List;
import java.util.function.Function;

/**
 * Sends each read statement to the primary or to the replica the {@link ReplicaSet} picks for the
 * reader's tenant. Reads are idempotent, so a replica read that fails because the replica is away
 * (connection lost or refused, recovery conflict, shutdown: any 503) is answered by the primary
 * instead, once; a lost connection also takes the replica out until the next poll finds it back.
 * One per read verticle: the readers it holds live on that verticle's event loop.
 */
final class ReadRouter {
  /** The readers of one server. */
  record Source(PageReader pages, PointReader points) {}

  private final ReplicaSet replicas;
  private final Source primary;
  private final List<Source> replicaSources;

  ReadRouter(ReplicaSet replicas, Source primary, List<Source> replicaSources) {
    this.replicas = replicas;
    this.primary = primary;
    this.replicaSources = replicaSources;
  }

  Source primary() {
    return primary;
  }

  <T> Future<T> read(long tenant, Function<Source, Future<T>> statement) {
    int i = replicas.pick(tenant);
    if (i < 0) return statement.apply(primary);
    return statement.apply(replicaSources.get(i)).recover(err -> {
      ApiError mapped = ErrorMapper.map(err);
      if (mapped.status() != 503) return Future.failedFuture(err);
      // Not a server's answer but the connection itself: the replica is away.
      if (!(err instanceof PgException)) replicas.markDown(i);
      return statement.apply(primary);
    });
  }
}
