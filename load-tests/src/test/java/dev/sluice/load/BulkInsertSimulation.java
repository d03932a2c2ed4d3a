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
 * Bulk insert of 100 rows, POST /v1/leads/bulk with a JSON array (demo-writer, tenant 1). Every
 * row's title starts with "loadtest-", and the after() hook deletes them again. SLO
 * bulk-insert-100: p95 under 500 ms. Defaults: 20 users/s (2,000 rows/s) for 20 s;
 * -Dsluice.rows changes the batch size.
 */
public class BulkInsertSimulation extends Simulation {
  static final String BULK = "bulk insert (JSON array)";

  private final double rate = SluiceLoad.rate(20);
  private final int seconds = SluiceLoad.durationSeconds(20);
  private final int rows = Integer.getInteger("sluice.rows", 100);

  ScenarioBuilder bulk = scenario("bulk inserts")
      .exec(http(BULK).post("/v1/leads/bulk")
          .header("Authorization", SluiceLoad.WRITER)
          .header("Content-Type", "application/json")
          .body(StringBody(session -> SluiceLoad.leadsJsonArray("bulk", rows)))
          .check(status().is(200), jsonPath("$.inserted").ofInt().is(rows)));

  {
    SluiceLoad.leads();
    SluiceLoad.announce("BulkInsertSimulation", rate, seconds, "bulk inserts of " + rows + " rows");
    setUp(bulk.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(BULK).responseTime().percentile(95.0).lt(SluiceLoad.BULK_INSERT_100_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }

  @Override
  public void after() {
    SluiceLoad.deleteInsertedRows();
  }
}
