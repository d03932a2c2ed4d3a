package dev.sluice.metrics;

import org.HdrHistogram.Histogram;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * Latency samples per key (an operation name) in fixed time buckets, merged on demand into sliding
 * windows: the client-side p50/p95/p99 and rate the SLO checks need. HdrHistogram (which
 * Micrometer already brings) keeps each bucket small and exact to 2 significant digits.
 * The clock is injected so the evaluator can be tested with recorded samples.
 *
 * <p>Every operation and statement of every event loop is recorded here, so writers never share
 * a lock: each thread records into series of its own (its lock is only ever contended by the
 * reader's merge, once per evaluation), and a snapshot merges the series of all threads.
 */
public final class WindowedStats {
  /**
   * Longer samples count as this long (a minute is a breach of every target). With 2 significant
   * digits (1 % error) a histogram is ~20 KB instead of ~190 KB at 3 digits up to an hour: the
   * metrics tick merges a few thousand of them every second, which at 3 digits took 14 % of the
   * gateway's CPU samples in a JFR profile of a page load.
   */
  private static final long MAX_MICROS = 60_000_000L;
  private static final int DIGITS = 2;

  private final long bucketMillis;
  private final int buckets;
  private final LongSupplier clockMillis;
  /** Per key, one series per recording thread. */
  private final Map<String, List<Series>> series = new ConcurrentHashMap<>();
  private final ThreadLocal<Map<String, Series>> mine = ThreadLocal.withInitial(HashMap::new);

  /** Percentiles and rate of one window. Latencies in milliseconds. */
  public record Snapshot(long count, long errors, double p50, double p95, double p99, double mean, double perSecond) {
    public static final Snapshot EMPTY = new Snapshot(0, 0, 0, 0, 0, 0, 0);
  }

  private final class Series {
    final Histogram[] hist = new Histogram[buckets];
    final long[] errors = new long[buckets];
    final long[] stamp = new long[buckets];

    synchronized void record(long now, long micros, boolean error) {
      int i = slot(now);
      long b = now / bucketMillis;
      if (stamp[i] != b || hist[i] == null) {
        if (hist[i] == null) hist[i] = new Histogram(MAX_MICROS, DIGITS);
        else hist[i].reset();
        errors[i] = 0;
        stamp[i] = b;
      }
      hist[i].recordValue(Math.min(Math.max(micros, 0), MAX_MICROS));
      if (error) errors[i]++;
    }

    synchronized void mergeInto(Histogram out, long[] errs, long now, long windowMillis) {
      long newest = now / bucketMillis;
      long oldest = (now - windowMillis) / bucketMillis + 1;
      for (int i = 0; i < buckets; i++) {
        if (hist[i] != null && stamp[i] >= oldest && stamp[i] <= newest) {
          out.add(hist[i]);
          errs[0] += errors[i];
        }
      }
    }

    private int slot(long now) {
      return (int) ((now / bucketMillis) % buckets);
    }
  }

  /** @param longestWindowMillis the longest window that will be asked for */
  public WindowedStats(long bucketMillis, long longestWindowMillis, LongSupplier clockMillis) {
    this.bucketMillis = bucketMillis;
    this.buckets = (int) (longestWindowMillis / bucketMillis) + 2;
    this.clockMillis = clockMillis;
  }

  public void record(String key, long micros, boolean error) {
    Map<String, Series> own = mine.get();
    Series s = own.get(key);
    if (s == null) {
      s = new Series();
      own.put(key, s);
      series.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(s);
    }
    s.record(clockMillis.getAsLong(), micros, error);
  }

  /** Merges the keys' samples of the last {@code windowMillis}. */
  public Snapshot snapshot(Collection<String> keys, long windowMillis) {
    long now = clockMillis.getAsLong();
    Histogram merged = new Histogram(MAX_MICROS, DIGITS);
    long[] errs = new long[1];
    for (String k : keys) {
      List<Series> all = series.get(k);
      if (all != null) for (Series s : all) s.mergeInto(merged, errs, now, windowMillis);
    }
    long n = merged.getTotalCount();
    if (n == 0) return Snapshot.EMPTY;
    return new Snapshot(n, errs[0], merged.getValueAtPercentile(50) / 1000.0, merged.getValueAtPercentile(95) / 1000.0,
        merged.getValueAtPercentile(99) / 1000.0, merged.getMean() / 1000.0, n * 1000.0 / windowMillis);
  }

  public Collection<String> keys() {
    return series.keySet();
  }
}
