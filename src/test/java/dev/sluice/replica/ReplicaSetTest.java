package dev.sluice.replica;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Replica routing: round-robin over healthy replicas, read-your-writes fences, lag in time")
class ReplicaSetTest {
  final AtomicLong now = new AtomicLong(1_000_000);
  final ReplicaSet set = new ReplicaSet(List.of("a", "b"), 1000, 100, now::get);

  void state(int i, boolean healthy, long replay) {
    set.update(i, new ReplicaSet.Status(set.names().get(i), healthy ? "streaming" : "lagging", healthy, replay, 0, 0,
        now.get()));
  }

  @Test
  @DisplayName("without a poll yet every read goes to the primary; then round-robin over the healthy ones only")
  void roundRobin() {
    assertEquals(-1, set.pick(1));
    state(0, true, 100);
    state(1, true, 100);
    Set<Integer> seen = new HashSet<>();
    for (int k = 0; k < 4; k++) seen.add(set.pick(1));
    assertEquals(Set.of(0, 1), seen);
    state(1, false, 100);
    for (int k = 0; k < 4; k++) assertEquals(0, set.pick(1));
    set.markDown(0);
    assertEquals(-1, set.pick(1));
  }

  @Test
  @DisplayName("a tenant's fence keeps its reads off replicas that have not replayed it; other tenants are not held")
  void fences() {
    state(0, true, 100);
    state(1, true, 200);
    set.fence(7, 150);
    for (int k = 0; k < 4; k++) assertEquals(1, set.pick(7));
    set.fence(7, 250);
    assertEquals(-1, set.pick(7));
    assertEquals(0, set.pick(8) == -1 ? 1 : 0, "tenant 8 still reads from replicas");
    set.fence(0, 250); // a shared resource was written: everyone waits for it
    assertEquals(-1, set.pick(8));
    state(0, true, 300);
    assertEquals(0, set.pick(8));
    set.sweep();
    state(1, true, 300);
    set.sweep();
    assertEquals(0, set.fenceCount(), "fences every healthy replica has replayed are dropped");
  }

  @Test
  @DisplayName("a fence expires after maxLagMs plus two polls, and a state older than three polls is not trusted")
  void bounds() {
    state(0, true, 100);
    set.fence(1, 500);
    now.addAndGet(1000 + 200 - 1);
    state(0, true, 100);
    assertEquals(-1, set.pick(1));
    now.addAndGet(2);
    assertEquals(0, set.pick(1));
    now.addAndGet(301);
    assertEquals(-1, set.pick(1), "the last poll is too old");
  }

  @Test
  @DisplayName("lag is the time since the primary first stood beyond the replica's replay position")
  void lagInTime() {
    WalHistory h = new WalHistory(60_000);
    h.record(1000, 10);
    h.record(1100, 10);
    h.record(1200, 20);
    h.record(1300, 30);
    assertEquals(0, h.lagMillis(30, 1400));
    assertEquals(100, h.lagMillis(25, 1400));
    assertEquals(200, h.lagMillis(10, 1400));
    assertEquals(30, h.primaryLsn());
    assertEquals("16/B374D848", Lsn.format(Lsn.parse("16/B374D848")));
    assertEquals(-1, Lsn.parse(null));
  }
}
