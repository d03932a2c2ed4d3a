package dev.sluice.replica;

import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Polls the primary's WAL position and each replica's replay position every {@code pollMs}, and
 * writes each replica's state into the {@link ReplicaSet}: streaming (readable), lagging (further
 * behind than {@code maxLagMs}), unreachable, or not in recovery (promoted: no longer a copy of
 * this primary). A replica that comes back is used again at the next poll. Also applies the
 * read-your-writes fences other nodes publish, exports the lag as metrics
 * ({@code sluice_replica_lag_seconds}, {@code sluice_replica_lag_bytes}, {@code sluice_replica_healthy})
 * and answers {@code sluice.health.replicas}. One instance per gateway, deployed only with replicas.
 */
public final class ReplicaMonitor extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(ReplicaMonitor.class.getName());
  /** Cluster-wide: {"scopes": [tenant, ...], "lsn": "X/Y"} after each commit on any node. */
  public static final String FENCES = "sluice.replica.fence";
  public static final String HEALTH = "sluice.health.replicas";

  private final SluiceConfig.Pg pg;
  private final ReplicaSet replicas;
  private final MeterRegistry registry;
  private final List<Pool> pools = new ArrayList<>();
  private Pool primary;
  private WalHistory history;
  private long timer;
  private boolean polling;

  public ReplicaMonitor(SluiceConfig.Pg pg, ReplicaSet replicas, MeterRegistry registry) {
    this.pg = pg;
    this.replicas = replicas;
    this.registry = registry;
  }

  @Override
  public Future<?> start() {
    SluiceConfig.Replicas cfg = pg.replicas();
    // Lag is told back to a few times the bound; further back it reads as "at least that".
    history = new WalHistory(Math.max(60_000L, 10L * cfg.maxLagMs()));
    primary = monitorPool(pg.url(), "sluice-replica-monitor");
    for (String url : cfg.urls()) pools.add(monitorPool(url, "sluice-replica-monitor"));
    for (int i = 0; i < replicas.size(); i++) {
      int index = i;
      String name = replicas.names().get(i);
      Gauge.builder("sluice.replica.lag", replicas, r -> seconds(r.status(index).lagMillis())).baseUnit("seconds")
          .tag("replica", name).description("How long the replica has been behind the primary (NaN: unknown)")
          .register(registry);
      Gauge.builder("sluice.replica.lag.bytes", replicas, r -> bytes(r.status(index).lagBytes())).baseUnit("bytes")
          .tag("replica", name).description("WAL the replica has not replayed yet (NaN: unknown)").register(registry);
      Gauge.builder("sluice.replica.healthy", replicas, r -> r.status(index).healthy() ? 1 : 0).tag("replica", name)
          .description("1 when reads may go to the replica").register(registry);
    }
    timer = vertx.setPeriodic(1, cfg.pollMs(), id -> poll());
    return Future.all(
        vertx.eventBus().<JsonObject>consumer(FENCES, m -> applyFences(m.body())).completion(),
        vertx.eventBus().consumer(HEALTH, m -> {
          JsonArray list = new JsonArray();
          replicas.statuses().forEach(s -> list.add(s.toJson()));
          m.reply(new JsonObject().put("ok", true).put("replicas", list));
        }).completion());
  }

  /** One connection per server, no statement timeout beyond a poll's worth, fast connect failure. */
  private Pool monitorPool(String url, String name) {
    int bound = Math.max(1000, 5 * pg.replicas().pollMs());
    PgConnectOptions options = Database.connectOptions(pg, url, bound)
        // Its own polls are not the gateway's work: kept out of the statement metrics and slow-query log.
        .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE);
    return PgBuilder.pool().with(Database.poolOptions(pg, 1, name)).with(new NetClientOptions().setConnectTimeout(bound))
        .connectingTo(options).using(vertx).build();
  }

  private void poll() {
    if (polling) return; // the previous poll still waits on a slow server: its result is the news
    polling = true;
    Future<Long> primaryLsn = primary.query("SELECT pg_current_wal_lsn()::text").execute()
        .map(rs -> Lsn.parse(rs.iterator().next().getString(0)));
    List<Future<Row>> states = new ArrayList<>();
    for (Pool p : pools) {
      states.add(p.query("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").execute()
          .map(rs -> rs.iterator().next()));
    }
    List<Future<?>> all = new ArrayList<>(states);
    all.add(primaryLsn);
    Future.join(all).onComplete(ar -> {
      polling = false;
      long now = System.currentTimeMillis();
      if (primaryLsn.succeeded()) history.record(now, primaryLsn.result());
      for (int i = 0; i < states.size(); i++) update(i, states.get(i), now);
      replicas.sweep();
    });
  }

  private void update(int i, Future<Row> state, long now) {
    ReplicaSet.Status before = replicas.status(i);
    String name = before.name();
    ReplicaSet.Status after;
    if (state.failed()) {
      after = new ReplicaSet.Status(name, ReplicaSet.Status.UNREACHABLE, false, -1, -1, -1, now);
    } else if (!Boolean.TRUE.equals(state.result().getBoolean(0))) {
      after = new ReplicaSet.Status(name, ReplicaSet.Status.NOT_IN_RECOVERY, false, -1, -1, -1, now);
    } else {
      long replay = Lsn.parse(state.result().getString(1));
      long primaryLsn = history.primaryLsn();
      long lagBytes = primaryLsn < 0 || replay < 0 ? -1 : Math.max(0, primaryLsn - replay);
      long lagMillis = primaryLsn < 0 || replay < 0 ? -1 : history.lagMillis(replay, now);
      boolean inBound = lagMillis >= 0 && lagMillis <= replicas.maxLagMillis();
      after = new ReplicaSet.Status(name, inBound ? ReplicaSet.Status.STREAMING : ReplicaSet.Status.LAGGING, inBound,
          replay, lagBytes, lagMillis, now);
    }
    replicas.update(i, after);
    if (!after.state().equals(before.state())) {
      LOG.info("replica " + name + ": " + before.state() + " -> " + after.state()
          + (after.lagMillis() >= 0 ? " (lag " + after.lagMillis() + " ms)" : ""));
    }
  }

  private void applyFences(JsonObject fence) {
    long lsn = Lsn.parse(fence.getString("lsn"));
    for (Object scope : fence.getJsonArray("scopes", new JsonArray())) {
      if (scope instanceof Number n) replicas.fence(n.longValue(), lsn);
    }
  }

  private static double seconds(long millis) {
    return millis < 0 ? Double.NaN : millis / 1000.0;
  }

  private static double bytes(long b) {
    return b < 0 ? Double.NaN : b;
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    List<Future<Void>> closing = new ArrayList<>();
    if (primary != null) closing.add(primary.close());
    pools.forEach(p -> closing.add(p.close()));
    return Future.join(closing);
  }
}
