package dev.sluice.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's mirror of the cache's version counters, so an L1 hit needs no Redis round trip to
 * know it is current. A bump takes the next value of one node-wide sequence and records it for each
 * counter it touches; a load notes the sequence before it reads anything (Redis or PostgreSQL), and
 * its value is current while none of its counters was bumped after that. Since a write bumps Redis
 * before it bumps here, a load that starts after the local bump can no longer fetch the old value
 * from Redis either.
 *
 * <p>The records are bounded; when one is evicted the floor rises to its sequence, and a counter
 * without a record counts as bumped at the floor: an eviction can only make entries look older
 * than they are (a needless reload), never newer.
 */
final class LocalVersions {
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong floor = new AtomicLong();
  private final Cache<String, Long> bumped;

  LocalVersions(long maxRecords) {
    this.bumped = Caffeine.newBuilder()
        .maximumSize(maxRecords)
        .executor(Runnable::run) // eviction and its listener run at once, so the floor is never late
        .evictionListener((String key, Long seq, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (seq != null) floor.accumulateAndGet(seq, Math::max);
        })
        .build();
  }

  /** The sequence a load notes before it reads. */
  long sequence() {
    return sequence.get();
  }

  void bump(List<String> counters) {
    Long seq = sequence.incrementAndGet();
    for (String c : counters) bumped.put(c, seq);
  }

  /** True when any of these counters was bumped after {@code seq}. */
  boolean bumpedSince(List<String> counters, long seq) {
    for (int i = 0, n = counters.size(); i < n; i++) {
      Long b = bumped.getIfPresent(counters.get(i));
      if ((b == null ? floor.get() : b) > seq) return true;
    }
    return false;
  }
}
