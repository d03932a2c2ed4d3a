package dev.sluice.catalog;

import dev.sluice.auth.Role;
import dev.sluice.error.ApiError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A resource as the write path sees it: the catalog's exposed fields (and the tenant column) with
 * what the live schema says about each — nullability, defaults, generated columns, length limits,
 * vector dimensions — plus its unique keys and which columns each constraint covers. Built once at
 * start by {@link WriteSchema}. Every identifier in write SQL comes from here.
 */
public final class WriteTarget {
  /** Bit masks over the columns: one long, so a resource may have at most 63 writable columns. */
  public static final int MAX_COLUMNS = 63;

  /**
   * @param required NOT NULL without a default, identity or generation: an insert must give it
   * @param readOnly generated (or GENERATED ALWAYS identity) columns: never written by the API
   * @param maxLength character limit of varchar(n)/char(n); 0 for none
   * @param dimensions vector dimensions; 0 for non-vector columns
   */
  public record Column(int index, String name, ColumnType type, boolean exposed, boolean nullable, boolean required,
                boolean readOnly, int maxLength, int dimensions) {
    public long bit() {
      return 1L << index;
    }
  }

  public final Resource resource;
  public final List<Column> columns;
  public final Map<String, Column> byName;
  public final Column primaryKey;
  /** The tenant column, or null for shared resources. */
  public final Column tenant;
  /** Required columns the API cannot fill (not exposed): inserts are impossible, said clearly. */
  public final List<String> hiddenRequired;
  /** Constraint and unique-index names to the columns they cover (to name the field of a refused row). */
  public final Map<String, List<String>> constraintColumns;
  /** Unique keys (primary key, unique constraints, plain unique indexes) usable as conflict targets. */
  public final List<List<String>> uniqueKeys;

  public WriteTarget(Resource resource, List<Column> columns, List<String> hiddenRequired,
              Map<String, List<String>> constraintColumns, List<List<String>> uniqueKeys) {
    this.resource = resource;
    this.columns = List.copyOf(columns);
    Map<String, Column> by = new LinkedHashMap<>();
    columns.forEach(c -> by.put(c.name(), c));
    this.byName = by;
    this.primaryKey = by.get(resource.primaryKey());
    this.tenant = resource.tenantColumn() == null ? null : by.get(resource.tenantColumn());
    this.hiddenRequired = List.copyOf(hiddenRequired);
    this.constraintColumns = Map.copyOf(constraintColumns);
    this.uniqueKeys = List.copyOf(uniqueKeys);
  }

  public String name() {
    return resource.name();
  }

  /** Fails with 403 unless {@code role} may write this resource (the catalog's {@code writeRole}). */
  public void requireWritableBy(Role role) {
    Role needed = resource.writePolicy().writeRole();
    if (!role.allows(needed)) {
      throw ApiError.forbidden("Resource '" + name() + "' may be written by " + needed.name().toLowerCase(Locale.ROOT)
          + " keys only.");
    }
  }

  /** The columns the gateway sets to now() whenever it updates a row (the catalog's {@code touchOnUpdate}). */
  public List<String> touchOnUpdate() {
    return resource.writePolicy().touchOnUpdate();
  }

  public String table() {
    return resource.table();
  }

  /** Fails unless rows can be inserted into this resource at all. */
  public void requireInsertable() {
    if (columns.size() > MAX_COLUMNS) {
      throw ApiError.badRequest("Resource '" + name() + "' has too many columns for bulk writes.");
    }
    if (!hiddenRequired.isEmpty()) {
      throw ApiError.badRequest("Resource '" + name() + "' does not accept inserts through the API.");
    }
  }

  /**
   * The conflict target of onConflict=update: the primary key unless {@code spec} names the columns
   * of another unique key (comma-separated exposed fields).
   */
  public List<Column> conflictKey(String spec) {
    if (spec == null || spec.isBlank()) return primaryConflictKey();
    List<String> names = new ArrayList<>();
    for (String part : spec.split(",")) names.add(part.trim());
    for (List<String> key : uniqueKeys) {
      if (key.size() == names.size() && key.containsAll(names)) {
        List<Column> out = new ArrayList<>();
        for (String n : key) {
          Column c = byName.get(n);
          if (c == null || !c.exposed()) break;
          out.add(c);
        }
        if (out.size() == key.size()) return out;
      }
    }
    List<String> allowed = new ArrayList<>();
    for (List<String> key : uniqueKeys) {
      if (key.stream().allMatch(n -> byName.containsKey(n) && byName.get(n).exposed())) allowed.add(String.join(",", key));
    }
    throw ApiError.badRequest("conflictKey must name a unique key of '" + name() + "': " + String.join(" or ", allowed) + ".");
  }

  /**
   * The catalog's primary key, or, on a partitioned table, the table's primary key: PostgreSQL makes
   * it include the partition column, so the catalog's key alone is no conflict target there.
   */
  private List<Column> primaryConflictKey() {
    if (resource.partitioning() == null) return List.of(primaryKey);
    Column partitionColumn = byName.get(resource.partitioning().column());
    List<Column> key = List.of(primaryKey, partitionColumn);
    return uniqueKeys.stream().anyMatch(k -> k.size() == 1 && k.get(0).equals(primaryKey.name()))
        ? List.of(primaryKey) : key;
  }

  /** A field name from the database, if the API exposes it (internal names never reach a client). */
  public String exposedOrNull(String column) {
    Column c = column == null ? null : byName.get(column);
    return c != null && (c.exposed() || c == tenant) ? c.name() : null;
  }

  /**
   * The one exposed field a constraint covers besides the tenant column, or null: a composite
   * tenant-safe reference (org_id, customer_id) names customer_id.
   */
  public String fieldOfConstraint(String constraint) {
    List<String> cols = constraint == null ? null : constraintColumns.get(constraint);
    if (cols == null) return null;
    List<String> own = tenant == null || cols.size() == 1 ? cols
        : cols.stream().filter(c -> !c.equals(tenant.name())).toList();
    return own.size() == 1 ? exposedOrNull(own.get(0)) : null;
  }
}
