package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

/**
 * NDJSON import, POST /v1/leads/bulk with Content-Type: application/x-ndjson, 10,000 rows per
 * request (-Dsluice.rows). Rows carry the "loadtest-" title prefix and are deleted by after().
 * SLO bulk (bulk operations): p95 under 2 s. Defaults: 0.5 users/s for 20 s (about 10 imports,
 * 100,000 rows).
 */
public class NdjsonImportSimulation extends Simulation {
  static final String IMPORT = "NDJSON import";

  private final double rate = SluiceLoad.rate(0.5);
  private final int seconds = SluiceLoad.durationSeconds(20);
  private final int rows = Integer.getInteger("sluice.rows", 10_000);

  ScenarioBuilder imports = scenario("NDJSON imports")
      .exec(http(IMPORT).post("/v1/leads/bulk")
          .header("Authorization", SluiceLoad.WRITER)
          .header("Content-Type", "application/x-ndjson")
          .body(StringBody(session -> SluiceLoad.leadsNdjson("ndjson", rows)))
          .check(status().is(200), jsonPath("$.inserted").ofInt().is(rows)));

  {
    SluiceLoad.leads();
    SluiceLoad.announce("NdjsonImportSimulation", rate, seconds, "NDJSON imports of " + rows + " rows");
    setUp(imports.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(IMPORT).responseTime().percentile(95.0).lt(SluiceLoad.BULK_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }

  @Override
  public void after() {
    SluiceLoad.deleteInsertedRows();
  }
}
