package dev.sluice.metrics;

import dev.sluice.support.Http;
import dev.sluice.support.Poll;
import dev.sluice.support.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Prometheus alerting rules and the Grafana dashboard in k8s/monitoring/ parse, and every
 * metric their queries name is one a real gateway's /metrics exports (scraped after some traffic,
 * with a streaming replica configured so the replica gauges exist too). Counters that come into
 * being at their first event (sluice_cache_errors_total, sluice_alerts_total,
 * sluice_db_auto_analyze_total) are therefore left out of both files.
 */
@DisplayName("Monitoring files: the alerting rules and the dashboard parse and name only exported metrics")
class MonitoringFilesIT {
  static final Path RULES = Path.of("k8s", "monitoring", "sluice-alerts.rules.yaml");
  static final Path DASHBOARD = Path.of("k8s", "monitoring", "sluice-dashboard.json");
  /** PromQL words that look like metric names: functions are told by the "(" after them. */
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
      "and", "or", "unless", "bool", "offset", "inf", "nan");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  static TestGateway gw;
  static Http http;

  @BeforeAll
  static void start() {
    JsonObject overrides = new JsonObject()
        .put("pg", new JsonObject().put("replicas", new JsonObject().put("urls", new JsonArray().add(TestGateway.replicaUrl()))))
        .put("database", new JsonObject().put("pollMs", 200));
    gw = Http.await(TestGateway.start("monitoring", overrides, List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() {
    if (gw != null) Http.await(gw.close());
  }

  /** The metric names a PromQL expression reads. */
  static Set<String> metricsOf(String expr) {
    String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // string literals
        .replaceAll("\\{[^}]*}", "")                                  // label matchers
        .replaceAll("\\[[^]]*]", "")                                  // range selectors
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> out = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String word = m.group();
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) next++;
      boolean function = next < s.length() && s.charAt(next) == '(';
      boolean number = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!function && !number && !KEYWORDS.contains(word.toLowerCase())) out.add(word);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<String> ruleExpressions() throws Exception {
    Map<String, Object> doc = new Yaml().load(Files.readString(RULES));
    List<Map<String, Object>> groups = (List<Map<String, Object>>) doc.get("groups");
    assertNotNull(groups, "no groups in " + RULES);
    List<String> exprs = new ArrayList<>();
    for (Map<String, Object> g : groups) {
      assertNotNull(g.get("name"), "a group without a name");
      for (Map<String, Object> rule : (List<Map<String, Object>>) g.get("rules")) {
        String name = String.valueOf(rule.get("alert"));
        assertNotNull(rule.get("alert"), "a rule without a name in " + g.get("name"));
        assertNotNull(rule.get("expr"), name + ": no expr");
        Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
        assertTrue(labels != null && Set.of("warning", "critical").contains(labels.get("severity")),
            name + ": severity must be warning or critical");
        Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
        assertTrue(annotations != null && annotations.get("summary") != null, name + ": no summary");
        exprs.add(String.valueOf(rule.get("expr")));
      }
    }
    return exprs;
  }

  static List<String> dashboardExpressions() throws Exception {
    JsonObject dash = new JsonObject(Files.readString(DASHBOARD));
    assertNotNull(dash.getString("title"));
    List<String> exprs = new ArrayList<>();
    for (Object o : dash.getJsonArray("panels")) {
      JsonObject panel = (JsonObject) o;
      if ("row".equals(panel.getString("type"))) continue;
      JsonArray targets = panel.getJsonArray("targets");
      assertTrue(targets != null && !targets.isEmpty(), "panel '" + panel.getString("title") + "' has no query");
      for (Object t : targets) exprs.add(((JsonObject) t).getString("expr"));
    }
    return exprs;
  }

  /** The metric names of a Prometheus text exposition (histograms as their _bucket, _count and _sum series). */
  static Set<String> exported(String text) {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
      names.add(line.substring(0, end));
    }
    return names;
  }

  @Test
  @DisplayName("the expression check finds metric names and skips functions, labels, keywords and durations")
  void extractor() {
    assertEquals(Set.of("a_total", "b_bucket"), metricsOf(
        "sum by (le, x) (rate(a_total{job=\"x\", y=~\"a|b\"}[5m])) / on (x) histogram_quantile(0.95, b_bucket) > 0.5 and 1e3"));
    assertEquals(Set.of("sluice_slo_status"), metricsOf("sluice_slo_status == 1"));
  }

  @Test
  @DisplayName("every query of the rules and the dashboard names a metric /metrics exports")
  void everyQueryNamesAnExportedMetric() throws Exception {
    List<String> exprs = new ArrayList<>(ruleExpressions());
    exprs.addAll(dashboardExpressions());
    assertTrue(exprs.size() > 20, "rules and dashboard hold " + exprs.size() + " queries");

    // Some traffic, so the per-operation and cache series exist; then wait for the database gauges.
    assertEquals(200, http.get("/v1/leads/1", "demo-reader").status());
    assertEquals(200, http.get("/v1/leads/1", "demo-reader").status());
    assertEquals(200, http.send("PATCH", "/v1/leads?id=eq.1", "demo-writer", "application/json", "{\"priority\": 3}").status());
    Set<String> exported = new java.util.HashSet<>();
    Set<String> missing = new TreeSet<>();
    try {
      Poll.until("every metric the queries name to be in /metrics", 20_000, () -> {
        exported.clear();
        exported.addAll(exported(http.get("/metrics", null).body()));
        missing.clear();
        for (String e : exprs) {
          for (String metric : metricsOf(e)) if (!exported.contains(metric)) missing.add(metric + "  (in: " + e + ")");
        }
        return missing.isEmpty();
      });
    } catch (AssertionError timedOut) {
      // the assertion below names what is missing
    }
    assertEquals(new TreeSet<>(), missing, "queries name metrics /metrics does not export");
    assertFalse(exported.contains("sluice_no_such_metric"));
  }
}
