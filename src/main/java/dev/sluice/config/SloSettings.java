package dev.sluice.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The metrics verticle's configuration: the seed guides' SLO targets and alert thresholds
 * (shared/TARGETS.md are the defaults in conf/sluice.yaml), windows and the slow-query threshold.
 */
public record SloSettings(int tickMs, List<Integer> windowsSeconds, int slowQueryMs, List<Target> targets, Alerts alerts) {

  /** @param qps the throughput the target is stated at, or 0 when it names none */
  public record Target(String name, List<String> operations, double p95Ms, double qps) {}

  public record Alerts(double avgQueryMs, double p95QueryMs, int slowQueriesPerHour, double cacheHitRatio,
                       double poolUtilisation, double errorRate, double replicaLagMs) {}

  static SloSettings from(Settings s) {
    int tick = s.integer("tickMs", 1000, 50, 60_000);
    List<Integer> windows = new ArrayList<>();
    for (String w : s.strings("windowsSeconds")) {
      try {
        int v = Integer.parseInt(w);
        if (v < 1 || v > 86_400) throw new NumberFormatException();
        windows.add(v);
      } catch (NumberFormatException e) {
        throw new ConfigException(s.key("windowsSeconds") + ": each window must be 1..86400 seconds, got '" + w + "'");
      }
    }
    if (windows.isEmpty()) windows = List.of(60, 300);
    List<Target> targets = new ArrayList<>();
    for (Settings t : s.objects("targets")) {
      List<String> ops = t.strings("operations");
      if (ops.isEmpty()) throw new ConfigException(t.key("operations") + ": must name at least one operation");
      targets.add(new Target(t.string("name", null), List.copyOf(ops), positive(t, "p95Ms", 0), positive(t, "qps", 0)));
    }
    Settings a = s.child("alerts");
    Alerts alerts = new Alerts(positive(a, "avgQueryMs", 200), positive(a, "p95QueryMs", 500),
        a.integer("slowQueriesPerHour", 10, 0, 1_000_000), ratio(a, "cacheHitRatio", 0.85),
        ratio(a, "poolUtilisation", 0.8), ratio(a, "errorRate", 0.01), positive(a, "replicaLagMs", 500));
    return new SloSettings(tick, List.copyOf(windows), s.integer("slowQueryMs", 100, 1, 3_600_000), List.copyOf(targets),
        alerts);
  }

  private static double positive(Settings s, String name, double dflt) {
    double v = decimal(s, name, dflt);
    if (v < 0) throw new ConfigException(s.key(name) + ": must not be negative");
    return v;
  }

  static double ratio(Settings s, String name, double dflt) {
    double v = decimal(s, name, dflt);
    if (v < 0 || v > 1) throw new ConfigException(s.key(name) + ": must be between 0 and 1, got " + v);
    return v;
  }

  private static double decimal(Settings s, String name, double dflt) {
    if (!s.has(name)) return dflt;
    String text = s.string(name, null);
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new ConfigException(s.key(name) + ": must be a number, got '" + text + "'");
    }
  }
}
