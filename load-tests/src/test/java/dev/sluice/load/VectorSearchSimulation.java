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

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * ANN search, POST /v1/documents/search with the 200 dev queries of debian-minilm (k 10,
 * select id,package; the gateway's default efSearch unless -Dsluice.efSearch=N). SLO
 * semantic-search: p95 under 200 ms. Defaults: 100 users/s for 20 s.
 */
public class VectorSearchSimulation extends Simulation {
  static final String SEARCH = "ANN search top-10";

  private final double rate = SluiceLoad.rate(100);
  private final int seconds = SluiceLoad.durationSeconds(20);
  private final List<String> bodies = SluiceLoad.searchBodies();

  ScenarioBuilder search = scenario("ANN searches")
      .feed(Stream.generate(() -> Map.<String, Object>of(
          "body", bodies.get(ThreadLocalRandom.current().nextInt(bodies.size())))).iterator())
      .exec(http(SEARCH).post("/v1/documents/search")
          .header("Authorization", SluiceLoad.READER)
          .header("Content-Type", "application/json")
          .body(StringBody("#{body}"))
          .check(status().is(200), jsonPath("$.data[9].id").exists()));

  {
    SluiceLoad.announce("VectorSearchSimulation", rate, seconds, bodies.size() + " dev queries, top-10");
    setUp(search.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(SEARCH).responseTime().percentile(95.0).lt(SluiceLoad.SEMANTIC_SEARCH_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }
}
