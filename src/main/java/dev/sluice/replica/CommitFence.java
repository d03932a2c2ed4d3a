package dev.sluice.replica;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

import java.util.Collection;
import java.util.List;

/**
 * The write path's half of read-your-writes: after a commit, before the reply, it reads the
 * primary's WAL position (which, with synchronous commit, is at or past the commit record) and
 * fences the written tenants at it, here and, by a cluster-wide publication, on every other node.
 * Without replicas it does nothing and costs nothing.
 */
public final class CommitFence {
  private final ReplicaSet replicas;
  private final SqlClient primary;
  private final EventBus bus;

  public CommitFence(ReplicaSet replicas, SqlClient primary, EventBus bus) {
    this.replicas = replicas;
    this.primary = primary;
    this.bus = bus;
  }

  /** @param scopes the tenants written (0 for shared resources) */
  public Future<Void> afterCommit(Collection<Long> scopes) {
    if (replicas.size() == 0 || scopes.isEmpty()) return Future.succeededFuture();
    return primary.query("SELECT pg_current_wal_lsn()::text").execute()
        .map(rs -> Lsn.parse(rs.iterator().next().getString(0)))
        // Position unknown (the primary went away after the commit): these tenants read from the
        // primary until the fence expires - never from a replica that may not have the write.
        .otherwise(Long.MAX_VALUE)
        .map(lsn -> {
          for (Long scope : scopes) replicas.fence(scope, lsn);
          bus.publish(ReplicaMonitor.FENCES, new JsonObject().put("scopes", new JsonArray(List.copyOf(scopes)))
              .put("lsn", Lsn.format(lsn)));
          return null;
        });
  }
}
