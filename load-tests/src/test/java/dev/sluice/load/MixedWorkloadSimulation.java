package dev.sluice.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
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
 * The mixed workload: 70 % reads (35 % point reads of random tenant-1 leads through the cache,
 * 20 % offset pages, 15 % filtered pages with an embedded customer), 20 % ANN searches with the
 * dev queries, 10 % single writes (a one-row POST /v1/leads/bulk, deleted by after()). Each
 * operation is held to its own SLO: point read and simple page 10 ms, complex page 100 ms,
 * search 200 ms, single write 200 ms (p95); errors under 1 %.
 * Defaults: 200 users/s for 30 s.
 */
public class MixedWorkloadSimulation extends Simulation {
  static final String POINT = "mixed: point read";
  static final String PAGE = "mixed: offset page";
  static final String COMPLEX = "mixed: filtered page + customer";
  static final String SEARCH = "mixed: ANN search";
  static final String WRITE = "mixed: single write";

  private final double rate = SluiceLoad.rate(200);
  private final int seconds = SluiceLoad.durationSeconds(30);
  private final List<String> bodies = SluiceLoad.searchBodies();

  ScenarioBuilder mixed = scenario("mixed workload")
      .feed(Stream.generate(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return Map.<String, Object>of(
            "id", SluiceLoad.randomTenantLead(),
            "page", 1 + r.nextInt(500),
            "status", SluiceLoad.randomStatus(),
            "before", SluiceLoad.randomCreatedAt(),
            "body", bodies.get(r.nextInt(bodies.size())));
      }).iterator())
      .exec(randomSwitch().on(
          percent(35.0).then(exec(http(POINT).get("/v1/leads/#{id}")
              .header("Authorization", SluiceLoad.READER).check(status().is(200)))),
          percent(20.0).then(exec(http(PAGE).get("/v1/leads?page=#{page}&limit=20")
              .header("Authorization", SluiceLoad.READER).check(status().is(200)))),
          percent(15.0).then(exec(http(COMPLEX)
              .get("/v1/leads?select=id,title,status,customer(id,name)&status=eq.#{status}&created_at=lt.#{before}"
                  + "&order=created_at.desc&limit=20")
              .header("Authorization", SluiceLoad.READER).check(status().is(200)))),
          percent(20.0).then(exec(http(SEARCH).post("/v1/documents/search")
              .header("Authorization", SluiceLoad.READER).header("Content-Type", "application/json")
              .body(StringBody("#{body}")).check(status().is(200), jsonPath("$.data[0].id").exists()))),
          percent(10.0).then(exec(http(WRITE).post("/v1/leads/bulk")
              .header("Authorization", SluiceLoad.WRITER).header("Content-Type", "application/json")
              .body(StringBody(session -> SluiceLoad.leadsJsonArray("mixed", 1)))
              .check(status().is(200), jsonPath("$.inserted").ofInt().is(1))))));

  {
    SluiceLoad.leads();
    SluiceLoad.announce("MixedWorkloadSimulation", rate, seconds, "70 % reads, 20 % search, 10 % writes");
    setUp(mixed.injectOpen(SluiceLoad.openModel(rate, seconds)))
        .protocols(SluiceLoad.protocol())
        .maxDuration(SluiceLoad.maxDuration(seconds))
        .assertions(
            details(POINT).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            details(PAGE).responseTime().percentile(95.0).lt(SluiceLoad.SIMPLE_QUERY_P95_MS),
            details(COMPLEX).responseTime().percentile(95.0).lt(SluiceLoad.COMPLEX_QUERY_P95_MS),
            details(SEARCH).responseTime().percentile(95.0).lt(SluiceLoad.SEMANTIC_SEARCH_P95_MS),
            details(WRITE).responseTime().percentile(95.0).lt(SluiceLoad.WRITES_P95_MS),
            global().failedRequests().percent().lt(SluiceLoad.MAX_ERROR_PERCENT));
  }

  @Override
  public void after() {
    SluiceLoad.deleteInsertedRows();
  }
}
