package dev.sluice.config;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Database operations: the gauges the metrics verticle polls, the guides' thresholds on them, the
 * maintenance advisor and the gateway's own ANALYZE after large imports ({@code database:}); and
 * where alerts are delivered ({@code alerts:}). Read from the raw configuration like
 * {@code vector:}, validated at start.
 */
public record OpsSettings(Db database, Delivery delivery) {

  /**
   * @param pollMs how often the gauges are read from pg_stat_* (their own one-connection pool)
   * @param topStatements pg_stat_statements entries exported, by total time
   * @param maxTables tables exported, by live rows
   * @param minTableRows tables smaller than this are left out of the dead-tuple alert and the bloat advice
   * @param largeTableRows sequential scans on tables at least this big are missing-index hints
   * @param analyzeAfterRows a committed write of at least this many rows to one table: the gateway runs ANALYZE (0 off)
   * @param minBlocks hit ratios count only with at least this many block reads + hits behind them
   */
  public record Db(int pollMs, int topStatements, int maxTables, long minTableRows, long largeTableRows,
                   long analyzeAfterRows, double connectionsRatio, double cacheHitRatio, double indexHitRatio,
                   double deadTupleRatio, long minBlocks) {}

  /**
   * @param webhooks URLs that get every alert transition as a JSON POST
   * @param minSeverity warning (all) or critical (critical ones only)
   * @param queueSize deliveries waiting per webhook; past it the oldest is dropped
   * @param retries further attempts after a failed POST (timeout, connection error, non-2xx)
   * @param retryDelayMs the first retry's delay, doubled for each further one
   */
  public record Delivery(List<String> webhooks, String minSeverity, int queueSize, int retries, int retryDelayMs,
                         int timeoutMs) {}

  public static OpsSettings from(SluiceConfig config) {
    Settings root = new Settings("", config.raw() == null ? new JsonObject() : config.raw());
    Settings d = root.child("database");
    Settings a = d.child("alerts");
    Db db = new Db(
        d.integer("pollMs", 15_000, 100, 3_600_000),
        d.integer("topStatements", 10, 0, 100),
        d.integer("maxTables", 50, 1, 1000),
        d.number("minTableRows", 1000),
        d.number("largeTableRows", 10_000),
        d.number("analyzeAfterRows", 10_000),
        SloSettings.ratio(a, "connectionsRatio", 0.8),
        SloSettings.ratio(a, "cacheHitRatio", 0.99),
        SloSettings.ratio(a, "indexHitRatio", 0.99),
        SloSettings.ratio(a, "deadTupleRatio", 0.1),
        a.number("minBlocks", 1000));
    if (db.minTableRows() < 0 || db.largeTableRows() < 0 || db.analyzeAfterRows() < 0 || db.minBlocks() < 0) {
      throw new ConfigException("database: row and block counts must not be negative");
    }
    Settings w = root.child("alerts");
    List<String> hooks = new ArrayList<>();
    for (String url : w.strings("webhooks")) {
      if (url.isEmpty()) continue;
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw new ConfigException(w.key("webhooks") + ": '" + url + "' must be an http:// or https:// URL");
      }
      hooks.add(url);
    }
    String min = w.string("minSeverity", "warning").toLowerCase(Locale.ROOT);
    if (!min.equals("warning") && !min.equals("critical")) {
      throw new ConfigException(w.key("minSeverity") + ": must be warning or critical, got '" + min + "'");
    }
    Delivery delivery = new Delivery(List.copyOf(hooks), min, w.integer("queueSize", 1000, 1, 1_000_000),
        w.integer("retries", 3, 0, 100), w.integer("retryDelayMs", 1000, 1, 600_000),
        w.integer("timeoutMs", 5000, 100, 600_000));
    return new OpsSettings(db, delivery);
  }
}
