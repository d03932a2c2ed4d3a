package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;

import java.util.Map;
import java.util.stream.Stream;

/**
 * Point reads, GET /v1/leads/{id}: "hot" reads a set of 200 tenant-1 leads again and again (after
 * the first read of each, the cache answers), "cold" reads random tenant-1 leads of the whole table
 * with Cache-Control: no-cache (PostgreSQL answers). SLO simple-query: p95 under 10 ms for both.
 * Defaults: 150 users/s each for 20 s.
 */
public class PointReadsSimulation extends Simulation {
  static final String HOT = "point read (hot cache)";
  static final String COLD = "point read (cold, no-cache)";

  private final double rate = SluiceLoad.rate(150);
  private final int seconds = SluiceLoad.durationSeconds(20);

  ScenarioBuilder hot = scenario("hot point reads")
      .feed(Stream.generate(() -> Map.<String, Object>of("id", SluiceLoad.hotTenantLead(200))).iterator())
      .exec(http(HOT).get("/v1/leads/#{id}").header("Authorization", SluiceLoad.READER).check(status().is(200)));

  ScenarioBuilder cold = scenario("cold point reads")
      .feed(Stream.generate(() -> Map.<String, Object>of("id", SluiceLoad.randomTenantLead())).iterator())
      .exec(http(COLD).get("/v1/leads/#{id}").header("Authorization", SluiceLoad.READER)
          .header("Cache-Control", "no-cache").check(status().is(200)));

  {
    SluiceLoad.leads();
    SluiceLoad.announce("PointReadsSimulation", rate, seconds, "hot and cold point reads, each");
    setUp(hot.injectOpen(SluiceLoad.openModel(rate, seconds)), cold.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(HOT).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            details(COLD).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }
}
