package dev.sluice.alerts;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * How bad an alert is, graded as the guides grade them: a p95 query time over its bound, errors and
 * running out of connections are critical (users notice now), SLO breaches too; the rest (average
 * query time, slow queries, cache and hit ratios, pool utilisation, replica lag, dead tuples) are
 * warnings (something to look at before users notice).
 */
public final class Severity {
  public static final String WARNING = "warning";
  public static final String CRITICAL = "critical";
  private static final Set<String> CRITICAL_ALERTS = Set.of("p95-query-time", "error-rate", "db-connections");

  private Severity() {}

  /** The severity of a transition on sluice.alerts ({kind: slo|alert, name, ...}). */
  public static String of(JsonObject transition) {
    if ("slo".equals(transition.getString("kind"))) return CRITICAL;
    return CRITICAL_ALERTS.contains(transition.getString("name")) ? CRITICAL : WARNING;
  }

  /** Whether an alert of {@code severity} reaches a receiver that asked for {@code minimum} and above. */
  public static boolean atLeast(String severity, String minimum) {
    return WARNING.equals(minimum) || CRITICAL.equals(severity);
  }
}
