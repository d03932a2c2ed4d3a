package dev.sluice.replica;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The primary's WAL position over time, sampled at each poll, so a replica's lag can be told in
 * time as well as bytes: a replica that has replayed up to {@code r} is as far behind as the time
 * since the primary first stood beyond {@code r}. Measured on one clock (this process's), so it
 * needs no clock agreement between servers, and an idle primary means zero lag (unlike
 * {@code now() - pg_last_xact_replay_timestamp()}). Precise to one poll interval. Not thread-safe:
 * one monitor owns it.
 */
final class WalHistory {
  private record Sample(long atMillis, long lsn) {}

  private final long keepMillis;
  private final Deque<Sample> samples = new ArrayDeque<>();

  /** @param keepMillis how far back lag can be told; older lag reads as at least this much */
  WalHistory(long keepMillis) {
    this.keepMillis = keepMillis;
  }

  void record(long nowMillis, long primaryLsn) {
    Sample last = samples.peekLast();
    // Only positions that moved matter: the first sample at a position is when the primary got there.
    if (last == null || primaryLsn > last.lsn) samples.addLast(new Sample(nowMillis, primaryLsn));
    // Keep one sample older than the horizon: it still answers "behind since at least then".
    while (samples.size() > 1 && secondOldest().atMillis <= nowMillis - keepMillis) samples.removeFirst();
  }

  /** The primary's newest known position, or -1 before the first sample. */
  long primaryLsn() {
    Sample last = samples.peekLast();
    return last == null ? -1 : last.lsn;
  }

  /** How long the primary has been beyond {@code replayLsn}, in ms (0 when the replica is caught up). */
  long lagMillis(long replayLsn, long nowMillis) {
    for (Sample s : samples) {
      if (s.lsn > replayLsn) return Math.max(0, nowMillis - s.atMillis);
    }
    return 0;
  }

  private Sample secondOldest() {
    var it = samples.iterator();
    it.next();
    return it.next();
  }
}
