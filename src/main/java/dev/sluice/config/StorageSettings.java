package dev.sluice.config;

import dev.sluice.catalog.MaterializedView;
import dev.sluice.catalog.Partitioning;
import dev.sluice.catalog.Partitioning.Interval;
import dev.sluice.catalog.Partitioning.Retire;

import java.util.Set;

/**
 * The storage options of a catalog resource: {@code materializedView} and {@code partitioning}.
 * Both absent for a plain table.
 */
final class StorageSettings {
  /** Partition names are {@code <table>_p<yyyymmdd>}: the suffix must fit PostgreSQL's 63 characters. */
  private static final int MAX_PARTITIONED_TABLE_NAME = 63 - "_p20261231".length();

  private StorageSettings() {}

  static MaterializedView view(Settings resource) {
    if (!resource.has("materializedView")) return null;
    Settings v = resource.child("materializedView");
    return new MaterializedView(v.integer("refreshSeconds", 300, 0, 30 * 86_400));
  }

  static Partitioning partitioning(Settings resource, String table, Set<String> fields) {
    if (!resource.has("partitioning")) return null;
    if (resource.has("materializedView")) {
      throw new ConfigException(resource.key("partitioning") + ": a materialized view cannot be partitioned");
    }
    if (table.length() > MAX_PARTITIONED_TABLE_NAME) {
      throw new ConfigException(resource.key("table") + ": a partitioned table's name may have at most "
          + MAX_PARTITIONED_TABLE_NAME + " characters (its partitions add a date)");
    }
    Settings p = resource.child("partitioning");
    String column = p.string("column", null);
    if (!fields.contains(column)) throw new ConfigException(p.key("column") + ": '" + column + "' is not an exposed field");
    Interval interval = p.choice("interval", "day", Interval.class, "day, week or month");
    Retire retire = p.choice("retire", "drop", Retire.class, "drop or detach");
    return new Partitioning(column, interval, p.integer("ahead", 3, 1, 1000),
        p.integer("retentionDays", 0, 0, 100 * 366), retire);
  }

}
