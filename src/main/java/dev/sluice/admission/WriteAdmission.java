package dev.sluice.admission;

import dev.sluice.config.SluiceConfig;
import dev.sluice.error.ApiError;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

import java.util.HashMap;
import java.util.Map;

/**
 * Fair admission of writes on one gateway node: how many writes (and, among them, NDJSON uploads)
 * each API key and each tenant may have in flight, and how many uploads the node holds at all.
 *
 * <p>Why: an NDJSON upload holds a database connection for as long as its client keeps sending,
 * so without bounds one key could take every write connection (eight stalled uploads stopped every
 * tenant's writes). Uploads have a pool of their own ({@code writes.uploadPoolSize}, which bounds
 * them per node here too, answered at once with 503), and each key and tenant may hold only a
 * share of it and of the other writes: past its share a caller gets 429 + Retry-After, while the
 * other tenants' writes go on.
 *
 * <p>One instance per Vert.x instance (shared by the HTTP and write verticles through the local
 * shared data, so every event loop counts against the same bounds). The counts are a few map
 * entries behind one lock, held for no I/O: cheap enough for an event loop, and simpler than a
 * lock-free structure for four counters that must change together.
 */
public final class WriteAdmission implements Shareable {
  private static final String MAP = "sluice.write-admission";

  private final SluiceConfig.Admission limits;
  private final Map<String, int[]> byKey = new HashMap<>();
  private final Map<Long, int[]> byTenant = new HashMap<>();
  private int uploads;

  WriteAdmission(SluiceConfig.Admission limits) {
    this.limits = limits;
  }

  /** The node's admission (created by the first verticle that asks). */
  public static WriteAdmission of(Vertx vertx, SluiceConfig.Admission limits) {
    return vertx.sharedData().<String, WriteAdmission>getLocalMap(MAP).computeIfAbsent("writes", k -> new WriteAdmission(limits));
  }

  /** A held place; {@link #release} gives it back (once, however often it is called). */
  public final class Permit {
    private final String key;
    private final long tenant;
    private final boolean upload;
    private boolean released;

    private Permit(String key, long tenant, boolean upload) {
      this.key = key;
      this.tenant = tenant;
      this.upload = upload;
    }

    public void release() {
      synchronized (WriteAdmission.this) {
        if (released) return;
        released = true;
        decrement(byKey, key, upload);
        decrement(byTenant, tenant, upload);
        if (upload) uploads--;
      }
    }
  }

  /**
   * Admits one write of {@code key} (any stable name of the caller's credential; null when there is
   * none, e.g. a trusted bus message) in {@code tenant}, or throws 429 (the caller's share is
   * taken) or 503 (the node's uploads are all taken).
   */
  public synchronized Permit admit(String key, long tenant, boolean upload) {
    int[] k = key == null ? new int[2] : byKey.getOrDefault(key, new int[2]);
    int[] t = byTenant.getOrDefault(tenant, new int[2]);
    if (k[0] >= limits.maxWritesPerKey()) throw limited("This API key", "writes", limits.maxWritesPerKey());
    if (t[0] >= limits.maxWritesPerTenant()) throw limited("This tenant", "writes", limits.maxWritesPerTenant());
    if (upload) {
      if (k[1] >= limits.maxUploadsPerKey()) throw limited("This API key", "NDJSON uploads", limits.maxUploadsPerKey());
      if (t[1] >= limits.maxUploadsPerTenant()) throw limited("This tenant", "NDJSON uploads", limits.maxUploadsPerTenant());
      if (uploads >= limits.uploadPoolSize()) {
        throw new ApiError(503, "overloaded", "Every NDJSON upload place of the gateway is taken; retry shortly.");
      }
      uploads++;
    }
    if (key != null) increment(byKey, key, k, upload);
    increment(byTenant, tenant, t, upload);
    return new Permit(key, tenant, upload);
  }

  /** Writes and uploads in flight now, for tests and diagnostics. */
  public synchronized JsonObject snapshot() {
    return new JsonObject().put("uploads", uploads).put("keys", byKey.size()).put("tenants", byTenant.size());
  }

  private static ApiError limited(String who, String what, int max) {
    return new ApiError(429, "rate_limited", who + " already has " + max + " " + what + " in flight; retry when one ends.",
        new JsonObject().put("limit", max));
  }

  private static <K> void increment(Map<K, int[]> map, K id, int[] counts, boolean upload) {
    counts[0]++;
    if (upload) counts[1]++;
    map.put(id, counts);
  }

  private static <K> void decrement(Map<K, int[]> map, K id, boolean upload) {
    if (id == null) return;
    int[] counts = map.get(id);
    if (counts == null) return;
    counts[0]--;
    if (upload) counts[1]--;
    if (counts[0] <= 0) map.remove(id);
  }
}
