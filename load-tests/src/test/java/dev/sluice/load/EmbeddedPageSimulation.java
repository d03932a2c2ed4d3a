package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.util.Map;
import java.util.stream.Stream;

/**
 * A filtered page with an embedded relation, newest first:
 * GET /v1/leads?select=id,title,status,priority,customer(id,name)&status=eq.S&created_at=lt.T&order=created_at.desc&limit=20
 * with S a random status and T a random point of the demo's time line (so pages come from every
 * depth), Cache-Control: no-cache unless -Dsluice.noCache=false.
 * SLO complex-query: p95 under 100 ms. Defaults: 100 users/s for 20 s.
 */
public class EmbeddedPageSimulation extends Simulation {
  static final String PAGE = "filtered page + customer(id,name)";

  private final double rate = SluiceLoad.rate(100);
  private final int seconds = SluiceLoad.durationSeconds(20);

  private static HttpRequestActionBuilder page() {
    HttpRequestActionBuilder b = http(PAGE)
        .get("/v1/leads?select=id,title,status,priority,customer(id,name)&status=eq.#{status}&created_at=lt.#{before}"
            + "&order=created_at.desc&limit=20")
        .header("Authorization", SluiceLoad.READER);
    if (SluiceLoad.noCache()) b = b.header("Cache-Control", "no-cache");
    return b.check(status().is(200), jsonPath("$.data[0].customer.name").exists());
  }

  ScenarioBuilder pages = scenario("filtered pages with an embedded customer")
      .feed(Stream.generate(() -> Map.<String, Object>of(
          "status", SluiceLoad.randomStatus(), "before", SluiceLoad.randomCreatedAt())).iterator())
      .exec(page());

  {
    SluiceLoad.leads();
    SluiceLoad.announce("EmbeddedPageSimulation", rate, seconds, "filtered pages with an embedded relation");
    setUp(pages.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(PAGE).responseTime().percentile(95.0).lt(SluiceLoad.COMPLEX_QUERY_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }
}
