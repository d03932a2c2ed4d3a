package dev.sluice.metrics;

import io.vertx.core.Context;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;

import java.util.function.BiConsumer;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sees every SQL statement the gateway runs through Vert.x's tracing SPI (the Postgres client
 * reports each statement's text and completion there), without wrapping the clients: statement
 * latency feeds the query-time alerts, and statements over the threshold go to the slow-query
 * log with their normalised SQL (Sluice's SQL carries values only as $n parameters, so the text
 * holds no client data), the statement kind and the table.
 */
public final class SqlObserver implements VertxTracer<Object, SqlObserver.Started> {
  private static final Logger SLOW = Logger.getLogger("sluice.slow-query");
  private static final Pattern TABLE = Pattern.compile("(?i)\\b(?:FROM|INTO|UPDATE)\\s+([a-z_][a-z0-9_]*)");

  record Started(long nanos, String sql) {}

  private volatile WindowedStats stats;
  private volatile SlowQueries slow;
  private volatile long slowNanos = Long.MAX_VALUE;

  /** Connected by the metrics verticle once the configuration is known. */
  void attach(WindowedStats stats, SlowQueries slow, long slowQueryMillis) {
    this.stats = stats;
    this.slow = slow;
    this.slowNanos = slowQueryMillis * 1_000_000L;
  }

  void detach() {
    this.stats = null;
    this.slow = null;
  }

  @Override
  public <R> Started sendRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                 BiConsumer<String, String> headers, TagExtractor<R> tagExtractor) {
    // IGNORE: the gateway's own observers (replica monitor, database gauges, advisor) are not its work.
    if (stats == null || policy == TracingPolicy.IGNORE) return null;
    // Walk the tags rather than extract() them: that would build a map for every statement.
    for (int i = 0, n = tagExtractor.len(request); i < n; i++) {
      String name = tagExtractor.name(request, i);
      if (name.equals("db.statement") || name.equals("db.query.text")) {
        return new Started(System.nanoTime(), tagExtractor.value(request, i));
      }
    }
    return null;
  }

  @Override
  public <R> void receiveResponse(Context context, R response, Started started, Throwable failure,
                                  TagExtractor<R> tagExtractor) {
    WindowedStats s = stats;
    if (started == null || s == null) return;
    long nanos = System.nanoTime() - started.nanos();
    s.record("db.statement", nanos / 1000, failure != null);
    if (nanos >= slowNanos) {
      String kind = kindOf(started.sql());
      String table = tableOf(started.sql());
      SlowQueries log = slow;
      int skipped = log == null ? 0 : log.record(kind, table, nanos / 1_000_000.0, started.sql());
      if (skipped == SlowQueries.QUIET) return;
      String more = skipped == 0 ? "" : " (and " + skipped + " more " + kind + " on " + table + " over the threshold since the last line)";
      SLOW.warning(String.format("slow query: %.1f ms, %s on %s: %s%s", nanos / 1e6, kind, table, truncate(started.sql()), more));
    }
  }

  static String kindOf(String sql) {
    String s = sql.stripLeading();
    int sp = s.indexOf(' ');
    String verb = (sp < 0 ? s : s.substring(0, sp)).toUpperCase();
    return switch (verb) {
      case "SELECT", "WITH" -> sql.contains("<=>") || sql.contains("<->") || sql.contains("<#>") ? "search" : "read";
      case "INSERT" -> "insert";
      case "UPDATE" -> "update";
      case "DELETE" -> "delete";
      default -> "other";
    };
  }

  static String tableOf(String sql) {
    Matcher m = TABLE.matcher(sql);
    return m.find() ? m.group(1) : "-";
  }

  static String truncate(String sql) {
    String oneLine = sql.replaceAll("\\s+", " ");
    return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "...";
  }
}
