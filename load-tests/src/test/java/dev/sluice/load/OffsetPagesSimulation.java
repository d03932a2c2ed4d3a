package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpRequestActionBuilder;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * Offset pages, GET /v1/leads?page=N&limit=20 with N random in 1..500 (the demo's offset cap of
 * 10,000 rows): 90 % without a total (SLO simple-query, p95 under 10 ms) and 10 % with
 * count=exact (SLO aggregations, p95 under 500 ms). Cache-Control: no-cache unless
 * -Dsluice.noCache=false. Defaults: 150 users/s for 20 s.
 */
public class OffsetPagesSimulation extends Simulation {
  static final String PAGE = "offset page";
  static final String COUNTED = "offset page, count=exact";

  private final double rate = SluiceLoad.rate(150);
  private final int seconds = SluiceLoad.durationSeconds(20);

  private static HttpRequestActionBuilder page(String name, String url) {
    HttpRequestActionBuilder b = http(name).get(url).header("Authorization", SluiceLoad.READER);
    if (SluiceLoad.noCache()) b = b.header("Cache-Control", "no-cache");
    return b.check(status().is(200), jsonPath("$.data[0].id").exists());
  }

  ScenarioBuilder pages = scenario("offset pages")
      .feed(Stream.generate(() -> Map.<String, Object>of("page", 1 + ThreadLocalRandom.current().nextInt(500))).iterator())
      .exec(randomSwitch().on(
          percent(90.0).then(io.gatling.javaapi.core.CoreDsl.exec(page(PAGE, "/v1/leads?page=#{page}&limit=20"))),
          percent(10.0).then(io.gatling.javaapi.core.CoreDsl.exec(
              page(COUNTED, "/v1/leads?page=#{page}&limit=20&count=exact").check(jsonPath("$.total").ofLong().gt(0L))))));

  {
    SluiceLoad.leads();
    SluiceLoad.announce("OffsetPagesSimulation", rate, seconds, "offset pages");
    setUp(pages.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(PAGE).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            details(COUNTED).responseTime().percentile(95.0).lt(SluiceLoad.AGGREGATIONS_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }
}
