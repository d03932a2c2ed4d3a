package dev.sluice.bus;

/** Event-bus addresses of Sluice (API.md "Event bus"). Every HTTP operation is also a request here. */
public final class Addresses {
  private Addresses() {}

  /** A page of a resource (keyset or offset). */
  public static final String READ = "sluice.read";
  /** One row by primary key. */
  public static final String GET = "sluice.get";
  public static final String BULK = "sluice.bulk";
  public static final String PATCH = "sluice.patch";
  public static final String DELETE = "sluice.delete";
  public static final String BATCH = "sluice.batch";
  public static final String SEARCH = "sluice.search";
  public static final String SIMILAR = "sluice.similar";

  /** Postgres readiness: replies {"ok": true} after a round trip to the database. */
  public static final String HEALTH_PG = "sluice.health.postgres";
  /** Redis readiness: replies {"ok": bool} from the cache verticle. */
  public static final String HEALTH_REDIS = "sluice.health.redis";

  public static final String CACHE_GET = "sluice.cache.get";
  public static final String CACHE_PUT = "sluice.cache.put";
  public static final String CACHE_INVALIDATE = "sluice.cache.invalidate";

  /** Admin: the plan of a read, {@code GET /admin/explain/{resource}}. */
  public static final String ADMIN_EXPLAIN = "sluice.admin.explain";

  public static final String ALERTS = "sluice.alerts";
  public static final String CHANGES_PREFIX = "sluice.changes.";
}
