package dev.sluice.vector;

import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;

import java.util.ArrayList;
import java.util.List;


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
    PgConnectOptions o = Database.connectOptions(pg, url, pg.statementTimeoutMs())
        .addProperty("application_name", "sluice-vector");
    // Behind PgBouncer a connection is no session: each search sets them itself (sessionKnobs), and its
    // statements are unnamed, planned at every execution whatever plan_cache_mode says.
    if (!pg.pgbouncer()) {
      defaults(s).forEach(k -> o.addProperty(k.name(), k.value()));
      // PostgreSQL's auto mode re-planned every search: it costs the generic plan of "LIMIT $n" as if a tenth
      // of the table were read (8,834 against 667 for the custom plan of the default search), so it never
      // took it, and planning the custom plan (0.14 ms, folding the 384-number vector into constants) came
      // with every search. The generic plan is the same index scan; the pgbench baseline (literal vector,
      // no parameters) never plans either (figures: README, vector search).
      o.addProperty("plan_cache_mode", s.planCacheMode().setting());
    }
    return o;
  }

  /** The configured knobs every search starts from. */
  private static List<VectorSearch.Setting> defaults(VectorSettings s) {
    return List.of(
        new VectorSearch.Setting("hnsw.ef_search", Integer.toString(s.efSearch().dflt())),
        new VectorSearch.Setting("hnsw.iterative_scan", s.iterativeScan()),
        new VectorSearch.Setting("hnsw.max_scan_tuples", Integer.toString(s.maxScanTuples())),
        new VectorSearch.Setting("ivfflat.probes", Integer.toString(s.probes().dflt())),
        new VectorSearch.Setting("ivfflat.iterative_scan", s.ivfflatIterativeScan()),
        new VectorSearch.Setting("ivfflat.max_probes", Integer.toString(s.maxProbes())));
  }

  /**
   * What every search must set in its own transaction because no session carries it: behind
   * PgBouncer the configured knobs and the statement timeout; nothing otherwise.
   */
  static List<VectorSearch.Setting> sessionKnobs(SluiceConfig.Pg pg, VectorSettings s) {
    if (!pg.pgbouncer()) return List.of();
    List<VectorSearch.Setting> out = new ArrayList<>(defaults(s));
    out.add(new VectorSearch.Setting("statement_timeout", Integer.toString(pg.statementTimeoutMs())));
    return List.copyOf(out);
  }

  /**
   * The search pool: {@code vector.poolSize} connections, one search at a time each. An ANN search
   * is milliseconds of CPU in its backend, so searches queued on one connection would run one after
   * the other on one core; one search per connection lets up to {@code poolSize} backends work at
   * once, as many as the baseline's clients (a Vert.x pool does not pipeline its own statements).
   * Searches with knobs of their own take a connection of the same pool for their transaction,
   * whose statements the connection's pipelining sends together; so every search, with knobs or
   * without, has the same concurrency at the database.
   */
  static Pool pool(Vertx vertx, SluiceConfig.Pg pg, String url, VectorSettings s) {
    return PgBuilder.pool()
        .with(Database.poolOptions(pg, s.poolSize(), "sluice-vector"))
        .connectingTo(connectOptions(pg, url, s))
        .using(vertx)
        .build();
  }
}
