package dev.sluice.replica;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;

/**
 * Which server a read goes to. One per gateway process, shared by every read verticle: the
 * {@link ReplicaMonitor} writes each replica's state, the write path writes fences, and
 * {@link #pick} answers per read, round-robin over the replicas that are streaming, not lagging
 * beyond {@code maxLagMs}, and have replayed the reader's last write.
 *
 * <p>Read-your-writes: after a commit the write path records the primary's WAL position as a fence
 * for the tenant it wrote (scope 0 for shared resources, which every tenant reads). A read of that
 * tenant goes to the primary until a replica has replayed past the fence, or until the fence
 * expires after {@code maxLagMs} plus two polls: by then any replica that still has not replayed
 * it is measured as lagging and skipped, so the expiry never lets a stale read through. A replica
 * whose state is older than three polls counts as unknown and is skipped as well.
 */
public final class ReplicaSet {
  /** One replica's state as last polled; {@code lagMillis}/{@code lagBytes} are -1 when unknown. */
  public record Status(String name, String state, boolean healthy, long replayLsn, long lagBytes, long lagMillis,
                       long polledAtMillis) {
    public static final String STREAMING = "streaming";
    public static final String LAGGING = "lagging";
    public static final String UNREACHABLE = "unreachable";
    public static final String NOT_IN_RECOVERY = "not_in_recovery";
    public static final String UNKNOWN = "unknown";

    static Status unknown(String name) {
      return new Status(name, UNKNOWN, false, -1, -1, -1, 0);
    }

    public JsonObject toJson() {
      return new JsonObject().put("name", name).put("status", state).put("healthy", healthy)
          .put("lagMs", lagMillis < 0 ? null : lagMillis).put("lagBytes", lagBytes < 0 ? null : lagBytes)
          .put("replayLsn", replayLsn < 0 ? null : Lsn.format(replayLsn));
    }
  }

  private record Fence(long lsn, long expiresAtMillis) {}

  /** For a gateway without replicas: every read goes to the primary. */
  public static final ReplicaSet NONE = new ReplicaSet(List.of(), 1000, 100, System::currentTimeMillis);

  private final List<String> names;
  private final AtomicReferenceArray<Status> statuses;
  private final Map<Long, Fence> fences = new ConcurrentHashMap<>();
  private final AtomicInteger next = new AtomicInteger();
  private final long maxLagMillis;
  private final long pollMillis;
  private final LongSupplier clock;

  public ReplicaSet(List<String> names, long maxLagMillis, long pollMillis, LongSupplier clock) {
    this.names = List.copyOf(names);
    this.maxLagMillis = maxLagMillis;
    this.pollMillis = pollMillis;
    this.clock = clock;
    this.statuses = new AtomicReferenceArray<>(names.size());
    for (int i = 0; i < names.size(); i++) statuses.set(i, Status.unknown(names.get(i)));
  }

  public int size() {
    return names.size();
  }

  public List<String> names() {
    return names;
  }

  long maxLagMillis() {
    return maxLagMillis;
  }

  /** The replica to read from for a request of {@code tenant}, or -1 for the primary. */
  public int pick(long tenant) {
    int n = names.size();
    if (n == 0) return -1;
    long now = clock.getAsLong();
    long needed = Math.max(fenceOf(tenant, now), fenceOf(0, now));
    int start = Math.floorMod(next.getAndIncrement(), n);
    for (int k = 0; k < n; k++) {
      int i = (start + k) % n;
      Status s = statuses.get(i);
      if (s.healthy && s.replayLsn >= needed && now - s.polledAtMillis <= 3 * pollMillis) return i;
    }
    return -1;
  }

  private long fenceOf(long scope, long now) {
    Fence f = fences.get(scope);
    if (f == null) return 0;
    if (f.expiresAtMillis < now) {
      fences.remove(scope, f);
      return 0;
    }
    return f.lsn;
  }

  /** After a commit: reads of {@code scope} need a replica that has replayed {@code lsn}. */
  public void fence(long scope, long lsn) {
    if (names.isEmpty()) return;
    Fence f = new Fence(lsn, clock.getAsLong() + maxLagMillis + 2 * pollMillis);
    fences.merge(scope, f, (a, b) -> new Fence(Math.max(a.lsn, b.lsn), Math.max(a.expiresAtMillis, b.expiresAtMillis)));
  }

  /** Drops fences every healthy replica has replayed (they no longer steer anything). */
  void sweep() {
    long minReplay = Long.MAX_VALUE;
    for (int i = 0; i < statuses.length(); i++) {
      Status s = statuses.get(i);
      if (s.healthy) minReplay = Math.min(minReplay, s.replayLsn);
    }
    long now = clock.getAsLong();
    long replayed = minReplay;
    fences.entrySet().removeIf(e -> e.getValue().lsn <= replayed || e.getValue().expiresAtMillis < now);
  }

  int fenceCount() {
    return fences.size();
  }

  void update(int i, Status s) {
    statuses.set(i, s);
  }

  /** A read on replica {@code i} found it away: skip it until the next poll finds it back. */
  public void markDown(int i) {
    Status s = statuses.get(i);
    statuses.set(i, new Status(s.name, Status.UNREACHABLE, false, s.replayLsn, -1, -1, s.polledAtMillis));
  }

  public Status status(int i) {
    return statuses.get(i);
  }

  public List<Status> statuses() {
    List<Status> out = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) out.add(statuses.get(i));
    return out;
  }
}
