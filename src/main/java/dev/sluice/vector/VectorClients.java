package dev.sluice.vector;

import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;


/**
 * The search connections. Each one starts its session with the configured knobs as defaults
 * (startup parameters, as {@code PGOPTIONS='-c hnsw.ef_search=...'} would): the ef_search or probes
 * that give the recall the configuration promises, and the iterative-scan bounds of filtered
 * searches. So a search with default knobs is a single statement, and a SET LOCAL in a search's
 * own transaction falls back to exactly these values when it ends.
 */
final class VectorClients {
  private VectorClients() {}

  static PgConnectOptions connectOptions(SluiceConfig.Pg pg, String url, VectorSettings s) {
    return Database.connectOptions(pg, url, pg.statementTimeoutMs())
        .addProperty("hnsw.ef_search", Integer.toString(s.efSearch().dflt()))
        .addProperty("hnsw.iterative_scan", s.iterativeScan())
        .addProperty("hnsw.max_scan_tuples", Integer.toString(s.maxScanTuples()))
        .addProperty("ivfflat.probes", Integer.toString(s.probes().dflt()))
        .addProperty("ivfflat.iterative_scan", s.ivfflatIterativeScan())
        .addProperty("ivfflat.max_probes", Integer.toString(s.maxProbes()))
        .addProperty("application_name", "sluice-vector");
  }

  /**
   * Pooled client for searches with the default knobs (one statement each). Not pipelined: an ANN
   * search is milliseconds of CPU in its backend, so searches queued on one connection would run one
   * after the other on one core; one search per connection lets up to {@code poolSize} backends
   * work at once, as many as the baseline's clients.
   */
  static SqlClient client(Vertx vertx, SluiceConfig.Pg pg, String url, VectorSettings s) {
    return PgBuilder.client()
        .with(Database.poolOptions(pg, s.poolSize(), "sluice-vector"))
        .connectingTo(connectOptions(pg, url, s).setPipeliningLimit(1))
        .using(vertx)
        .build();
  }

  /**
   * Pool for searches with knobs of their own (a transaction each). Its connections keep the
   * configured pipelining, so a search's SET LOCAL and SELECT go out together.
   */
  static Pool pool(Vertx vertx, SluiceConfig.Pg pg, String url, VectorSettings s, int size) {
    return PgBuilder.pool()
        .with(Database.poolOptions(pg, size, "sluice-vector-tx"))
        .connectingTo(connectOptions(pg, url, s))
        .using(vertx)
        .build();
  }
}
