package dev.sluice.maintenance;

import dev.sluice.catalog.Partitioning;
import dev.sluice.catalog.Resource;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Keeps a partitioned table's partitions: one transaction per table and pass, under
 * {@code pg_try_advisory_xact_lock} on the table, so that of several gateways one does the work and
 * the others skip it; the lock goes with the transaction, even when a gateway dies mid-way. The
 * partitions are listed under the lock, so a pass never works from another gateway's stale view.
 * Every statement of the pass commits or none: a pass that cannot get a table lock within the
 * maintenance lock timeout changes nothing and is tried again at the next tick.
 *
 * <p>DDL takes no bind parameters: partition names are the catalog's table name (a checked plain
 * identifier) plus a date, and the bounds are UTC midnights the gateway computes from its clock,
 * printed by java.time; no client value reaches this SQL.
 */
final class PartitionKeeper {
  private static final String LOCK_SQL = "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))";
  private static final String PARTITIONS_SQL =
      "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
          + "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
          + "WHERE p.relnamespace = current_schema()::regnamespace AND p.relname = $1 ORDER BY c.relname";

  /** What a pass did; {@code busy}: another gateway held the table's lock, nothing was done. */
  record Outcome(String resource, boolean busy, List<String> created, List<String> retired, int partitions) {
    JsonObject toJson() {
      return new JsonObject().put("resource", resource).put("busy", busy)
          .put("created", new JsonArray(created)).put("retired", new JsonArray(retired)).put("partitions", partitions);
    }
  }

  private final Pool pool;
  private final Supplier<LocalDate> today;

  PartitionKeeper(Pool pool) {
    this(pool, () -> LocalDate.now(ZoneOffset.UTC));
  }

  PartitionKeeper(Pool pool, Supplier<LocalDate> today) {
    this.pool = pool;
    this.today = today;
  }

  Future<Outcome> keep(Resource r) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_SQL).execute(Tuple.of("sluice:partitions:" + r.table()))
        .compose(rs -> rs.iterator().next().getBoolean(0)
            ? list(conn, r.table()).compose(existing -> apply(conn, r, existing))
            : Future.succeededFuture(new Outcome(r.name(), true, List.of(), List.of(), -1))));
  }

  /** The table's partitions with their bounds, oldest name first. */
  static Future<List<PartitionPlan.Existing>> list(SqlClient client, String table) {
    return client.preparedQuery(PARTITIONS_SQL).execute(Tuple.of(table)).map(rows -> {
      List<PartitionPlan.Existing> out = new ArrayList<>();
      for (Row row : rows) out.add(PartitionPlan.parse(row.getString(0), row.getString(1)));
      return out;
    });
  }

  private Future<Outcome> apply(SqlConnection conn, Resource r, List<PartitionPlan.Existing> existing) {
    Partitioning p = r.partitioning();
    PartitionPlan plan = PartitionPlan.of(r.table(), p, existing, today.get());
    List<String> statements = new ArrayList<>();
    List<String> created = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    for (LocalDate start : plan.create()) {
      String name = Partitioning.partitionName(r.table(), start);
      statements.add("CREATE TABLE " + name + " PARTITION OF " + r.table() + " FOR VALUES FROM ('"
          + PartitionPlan.instant(start) + "') TO ('" + PartitionPlan.instant(p.interval().next(start)) + "')");
      created.add(name);
    }
    for (PartitionPlan.Existing e : plan.retire()) {
      // the name matched <table>_p<8 digits> in the plan: a plain identifier
      statements.add("ALTER TABLE " + r.table() + " DETACH PARTITION " + e.name());
      if (p.retire() == Partitioning.Retire.DROP) statements.add("DROP TABLE " + e.name());
      retired.add(e.name());
    }
    Future<Void> done = Future.succeededFuture();
    for (String sql : statements) done = done.compose(v -> conn.query(sql).execute().mapEmpty());
    int count = existing.size() + created.size() - retired.size();
    return done.map(v -> new Outcome(r.name(), false, created, retired, count));
  }
}
