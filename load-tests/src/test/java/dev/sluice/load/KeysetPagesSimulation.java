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
 * Keyset pages, GET /v1/leads?limit=20: each user starts at a random depth of tenant 1's leads
 * (id=gt.N) and follows the opaque "next" cursor for 4 more pages, as a client scrolling would.
 * Pages are read with Cache-Control: no-cache (the SQL path; -Dsluice.noCache=false to let the
 * cache answer). SLO simple-query: p95 under 10 ms. Defaults: 50 users/s (250 pages/s) for 20 s.
 */
public class KeysetPagesSimulation extends Simulation {
  static final String FIRST = "keyset page (first)";
  static final String NEXT = "keyset page (next, cursor)";
  static final int PAGES_PER_USER = 5;

  private final double rate = SluiceLoad.rate(50);
  private final int seconds = SluiceLoad.durationSeconds(20);

  private static HttpRequestActionBuilder page(String name, String url) {
    HttpRequestActionBuilder b = http(name).get(url).header("Authorization", SluiceLoad.READER);
    if (SluiceLoad.noCache()) b = b.header("Cache-Control", "no-cache");
    return b.check(status().is(200), jsonPath("$.data[0].id").exists(), jsonPath("$.next").optional().saveAs("next"));
  }

  ScenarioBuilder walk = scenario("keyset walk")
      .feed(Stream.generate(() -> Map.<String, Object>of("start", SluiceLoad.randomTenantLead() - 1)).iterator())
      .exec(page(FIRST, "/v1/leads?limit=20&id=gt.#{start}"))
      .repeat(PAGES_PER_USER - 1).on(
          doIfWithNext(page(NEXT, "/v1/leads?limit=20&id=gt.#{start}&after=#{next}")));

  private static io.gatling.javaapi.core.ChainBuilder doIfWithNext(HttpRequestActionBuilder req) {
    return io.gatling.javaapi.core.CoreDsl.doIf(session -> session.contains("next") && session.getString("next") != null)
        .then(io.gatling.javaapi.core.CoreDsl.exec(req));
  }

  {
    SluiceLoad.leads();
    SluiceLoad.announce("KeysetPagesSimulation", rate, seconds, "keyset walks of " + PAGES_PER_USER + " pages");
    setUp(walk.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(FIRST).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            details(NEXT).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }
}
