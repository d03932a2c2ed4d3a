package dev.sluice.replica;

import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;

import java.util.List;
import java.util.function.Function;

/**
 * Sends each read to the primary's readers or to those of the replica the {@link ReplicaSet}
 * picks for the reader's tenant. Reads are idempotent, so a replica read that fails because the
 * replica is away (connection lost or refused, recovery conflict, shutdown: any 503) is answered by
 * the primary instead, once; a lost connection also takes the replica out until the next poll
 * finds it back. One per verticle instance: the readers it holds live on that verticle's event loop.
 *
 * @param <S> what reads one server (e.g. the page and point readers over its client)
 */
public final class ReplicaRouter<S> {
  private final ReplicaSet replicas;
  private final S primary;
  private final List<S> onReplicas;

  /** @param onReplicas one per replica, in the order of {@link ReplicaSet#names()} */
  public ReplicaRouter(ReplicaSet replicas, S primary, List<S> onReplicas) {
    this.replicas = replicas;
    this.primary = primary;
    this.onReplicas = List.copyOf(onReplicas);
  }

  public S primary() {
    return primary;
  }

  public <T> Future<T> read(long tenant, Function<S, Future<T>> read) {
    int i = replicas.pick(tenant);
    if (i < 0) return read.apply(primary);
    return read.apply(onReplicas.get(i)).recover(err -> {
      if (ErrorMapper.map(err).status() != 503) return Future.failedFuture(err);
      // Not a server's answer but the connection itself: the replica is away.
      if (!(err instanceof PgException)) replicas.markDown(i);
      return read.apply(primary);
    });
  }
}
