package dev.sluice.maintenance;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.HashMap;
import java.util.Map;

/**
 * Checks at start that the catalog's storage options match the live schema, and fails the start
 * loudly when not: a declared materialized view must be one and have a unique index on plain
 * columns over all rows (without it REFRESH ... CONCURRENTLY is refused, and a plain refresh would
 * lock readers out); a materialized view must be declared as one (it cannot be written); a
 * partitioned resource's table must be range-partitioned by exactly its timestamptz column.
 */
public final class StorageCheck {
  private static final String TABLES_SQL =
      "SELECT c.relname::text, c.relkind::text, "
          // a unique index REFRESH ... CONCURRENTLY accepts: plain columns, no predicate, valid
          + "EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisunique AND x.indisvalid "
          + "AND x.indexprs IS NULL AND x.indpred IS NULL), "
          // the range partition key when it is one plain column, with its type
          + "(SELECT a.attname::text || ':' || format_type(a.atttypid, NULL) FROM pg_partitioned_table pt "
          + "JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0] "
          + "WHERE pt.partrelid = c.oid AND pt.partstrat = 'r' AND pt.partnatts = 1) "
          + "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)";

  private record Table(String kind, boolean hasPlainUniqueIndex, String rangeKey) {}

  private StorageCheck() {}

  public static Future<Void> verify(SqlClient client, Catalog catalog) {
    String[] tables = catalog.all().values().stream().map(Resource::table).distinct().toArray(String[]::new);
    return client.preparedQuery(TABLES_SQL).execute(Tuple.of(tables)).map(rows -> {
      Map<String, Table> byName = new HashMap<>();
      for (Row r : rows) byName.put(r.getString(0), new Table(r.getString(1), r.getBoolean(2), r.getString(3)));
      for (Resource r : catalog.all().values()) check(r, byName.get(r.table()));
      return null;
    });
  }

  static void check(Resource r, Table table) {
    String key = "resources." + r.name();
    if (table == null) return; // the schema verifier has already said the table is missing
    boolean isView = table.kind().equals("m");
    if (r.view() != null && !isView) {
      throw new ConfigException(key + ".materializedView: '" + r.table() + "' is not a materialized view");
    }
    if (r.view() == null && isView) {
      throw new ConfigException(key + ": '" + r.table() + "' is a materialized view; declare it with "
          + "materializedView: { refreshSeconds: ... } so the gateway keeps it read-only and refreshes it");
    }
    if (r.view() != null && !table.hasPlainUniqueIndex()) {
      throw new ConfigException(key + ".materializedView: '" + r.table() + "' has no unique index on plain columns "
          + "covering every row; REFRESH MATERIALIZED VIEW CONCURRENTLY needs one (CREATE UNIQUE INDEX ... ON "
          + r.table() + " (...))");
    }
    if (r.partitioning() != null) {
      String want = r.partitioning().column() + ":timestamp with time zone";
      if (!want.equals(table.rangeKey())) {
        throw new ConfigException(key + ".partitioning.column: '" + r.table() + "' must be PARTITION BY RANGE ("
            + r.partitioning().column() + ") on a timestamptz column"
            + (table.rangeKey() == null ? "; it is not range-partitioned by one column" : "; it is by " + table.rangeKey()));
      }
    }
  }
}
