package dev.sluice.catalog;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the live schema says about the catalog's tables, read once at start by the gateway and shared
 * by everything that checks or plans against it: column types (the catalog, {@link SchemaVerifier}),
 * nullability, defaults, generation and lengths, constraints, unique keys and foreign keys (the write
 * path, {@link WriteSchema}), and the ANN indexes and vector dimensions (vector search). Immutable,
 * so verticles on any event loop may read it. The schema changes only by migration, which runs
 * before it is read; nothing refreshes it while the gateway runs.
 */
public final class SchemaSnapshot {
  // pg_catalog rather than information_schema.columns, which leaves out materialized views.
  private static final String ATTRIBUTES_SQL =
      "SELECT c.relname::text, a.attname::text, t.typname::text, a.atttypmod FROM pg_attribute a "
          + "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type d ON d.oid = a.atttypid "
          // a domain column has its base type, as information_schema's udt_name says
          + "JOIN pg_type t ON t.oid = CASE WHEN d.typtype = 'd' THEN d.typbasetype ELSE d.oid END "
          + "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1) "
          + "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped";

  private static final String COLUMNS_SQL =
      "SELECT table_name::text, column_name::text, udt_name::text, is_nullable = 'YES', column_default IS NOT NULL, "
          + "is_identity = 'YES', coalesce(identity_generation = 'ALWAYS', false), is_generated = 'ALWAYS', "
          + "coalesce(character_maximum_length, 0) "
          + "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)";

  private static final String CONSTRAINTS_SQL =
      "SELECT cl.relname::text, con.conname::text, array_agg(a.attname::text ORDER BY k.ord) "
          + "FROM pg_constraint con "
          + "JOIN pg_class cl ON cl.oid = con.conrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
          + "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
          + "WHERE n.nspname = current_schema() AND cl.relname = ANY($1) "
          + "GROUP BY cl.relname, con.conname";

  private static final String UNIQUE_SQL =
      "SELECT cl.relname::text, i.relname::text, array_agg(a.attname::text ORDER BY k.ord) "
          + "FROM pg_index x "
          + "JOIN pg_class cl ON cl.oid = x.indrelid "
          + "JOIN pg_class i ON i.oid = x.indexrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
          + "JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum "
          + "WHERE n.nspname = current_schema() AND cl.relname = ANY($1) AND x.indisunique "
          + "AND x.indpred IS NULL AND x.indexprs IS NULL "
          + "GROUP BY cl.relname, i.relname, x.indisprimary ORDER BY x.indisprimary DESC, i.relname";

  /** Foreign keys of the catalog's tables: (table, referenced table, columns, referenced columns). */
  private static final String FOREIGN_KEYS_SQL =
      "SELECT cl.relname::text, ref.relname::text, "
          + "ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) "
          + "  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord), "
          + "ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord) "
          + "  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord) "
          + "FROM pg_constraint con "
          + "JOIN pg_class cl ON cl.oid = con.conrelid "
          + "JOIN pg_class ref ON ref.oid = con.confrelid "
          + "JOIN pg_namespace n ON n.oid = cl.relnamespace "
          + "WHERE con.contype = 'f' AND con.conparentid = 0 AND n.nspname = current_schema() AND cl.relname = ANY($1)";

  /**
   * ANN indexes on the catalog's tables: table, column (null for an expression index), name, method,
   * operator class, options, partial, and the expression of an expression index (null otherwise).
   */
  private static final String ANN_INDEXES_SQL = "SELECT t.relname, a.attname, c.relname, am.amname, opc.opcname, "
      + "c.reloptions::text[], i.indpred IS NOT NULL, pg_get_expr(i.indexprs, i.indrelid) "
      + "FROM pg_index i "
      + "JOIN pg_class c ON c.oid = i.indexrelid "
      + "JOIN pg_class t ON t.oid = i.indrelid "
      + "JOIN pg_namespace n ON n.oid = t.relnamespace "
      + "JOIN pg_am am ON am.oid = c.relam "
      + "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] AND i.indkey[0] <> 0 "
      + "JOIN pg_opclass opc ON opc.oid = i.indclass[0] "
      + "WHERE n.nspname = current_schema() AND t.relname = ANY($1) AND am.amname IN ('hnsw', 'ivfflat') "
      + "AND i.indisvalid ORDER BY c.relname";

  /** A column's type name (a domain's base type) and type modifier (a vector's dimensions; -1 = none). */
  public record Attribute(String udt, int typmod) {}

  /**
   * A column as information_schema describes it: what an insert must give (NOT NULL without default,
   * identity or generation), what it may not (generated), and varchar(n) lengths (0: none).
   */
  public record ColumnFacts(String udt, boolean nullable, boolean hasDefault, boolean identity, boolean identityAlways,
                            boolean generated, int maxLength) {}

  /** A foreign key: its table, the referenced table, and the two column lists in key order. */
  public record ForeignKey(String table, String referenced, List<String> columns, List<String> referencedColumns) {}

  /** An ANN index (HNSW or IVFFlat): {@code column} null and {@code expression} set for an expression index. */
  public record AnnIndex(String table, String column, String name, String method, String opclass, List<String> options,
                         boolean partial, String expression) {}

  private final Map<String, Map<String, Attribute>> attributes;
  private final Map<String, Map<String, ColumnFacts>> columns;
  private final Map<String, Map<String, List<String>>> constraints;
  private final Map<String, Map<String, List<String>>> uniques;
  private final List<ForeignKey> foreignKeys;
  private final List<AnnIndex> annIndexes;

  public SchemaSnapshot(Map<String, Map<String, Attribute>> attributes, Map<String, Map<String, ColumnFacts>> columns,
                        Map<String, Map<String, List<String>>> constraints, Map<String, Map<String, List<String>>> uniques,
                        List<ForeignKey> foreignKeys, List<AnnIndex> annIndexes) {
    this.attributes = deepCopy(attributes);
    this.columns = deepCopy(columns);
    this.constraints = deepCopy(constraints);
    this.uniques = deepCopy(uniques);
    this.foreignKeys = List.copyOf(foreignKeys);
    this.annIndexes = List.copyOf(annIndexes);
  }

  /**
   * Reads the schema of {@code tables}, one statement after another: at start the maintenance pool
   * has two connections, and the requests behind would only queue.
   */
  public static Future<SchemaSnapshot> read(SqlClient client, Collection<String> tables) {
    Tuple args = Tuple.of(tables.stream().distinct().toArray(String[]::new));
    Map<String, Map<String, Attribute>> attributes = new HashMap<>();
    Map<String, Map<String, ColumnFacts>> columns = new HashMap<>();
    List<ForeignKey> foreignKeys = new ArrayList<>();
    List<AnnIndex> indexes = new ArrayList<>();
    List<Map<String, Map<String, List<String>>>> keyed = new ArrayList<>();
    return client.preparedQuery(ATTRIBUTES_SQL).execute(args).compose(rows -> {
      for (Row r : rows) {
        attributes.computeIfAbsent(r.getString(0), t -> new HashMap<>()).put(r.getString(1),
            new Attribute(r.getString(2), r.getInteger(3)));
      }
      return client.preparedQuery(COLUMNS_SQL).execute(args);
    }).compose(rows -> {
      for (Row r : rows) {
        columns.computeIfAbsent(r.getString(0), t -> new HashMap<>()).put(r.getString(1), new ColumnFacts(r.getString(2),
            r.getBoolean(3), r.getBoolean(4), r.getBoolean(5), r.getBoolean(6), r.getBoolean(7), r.getInteger(8)));
      }
      return client.preparedQuery(CONSTRAINTS_SQL).execute(args);
    }).compose(rows -> {
      keyed.add(byTable(rows));
      return client.preparedQuery(UNIQUE_SQL).execute(args);
    }).compose(rows -> {
      keyed.add(byTable(rows));
      return client.preparedQuery(FOREIGN_KEYS_SQL).execute(args);
    }).compose(rows -> {
      for (Row r : rows) {
        foreignKeys.add(new ForeignKey(r.getString(0), r.getString(1), List.of(r.getArrayOfStrings(2)),
            List.of(r.getArrayOfStrings(3))));
      }
      return client.preparedQuery(ANN_INDEXES_SQL).execute(args);
    }).map(rows -> {
      for (Row r : rows) {
        String[] options = r.getArrayOfStrings(5);
        indexes.add(new AnnIndex(r.getString(0), r.getString(1), r.getString(2), r.getString(3), r.getString(4),
            options == null ? List.of() : List.of(options), r.getBoolean(6), r.getString(7)));
      }
      return new SchemaSnapshot(attributes, columns, keyed.get(0), keyed.get(1), foreignKeys, indexes);
    });
  }

  private static Map<String, Map<String, List<String>>> byTable(RowSet<Row> rows) {
    Map<String, Map<String, List<String>>> out = new HashMap<>();
    for (Row r : rows) {
      out.computeIfAbsent(r.getString(0), t -> new LinkedHashMap<>()).put(r.getString(1), List.of(r.getArrayOfStrings(2)));
    }
    return out;
  }

  /** Immutable copies that keep the inner maps' order (unique keys: the primary key first). */
  private static <V> Map<String, Map<String, V>> deepCopy(Map<String, Map<String, V>> in) {
    Map<String, Map<String, V>> out = new HashMap<>();
    in.forEach((table, inner) -> out.put(table, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inner))));
    return Map.copyOf(out);
  }

  /** A table's columns (views and materialized views included), or null when there is no such table. */
  public Map<String, Attribute> attributes(String table) {
    return attributes.get(table);
  }

  /** What information_schema says of a table's columns (tables and views; not materialized views). */
  public Map<String, ColumnFacts> columns(String table) {
    return columns.getOrDefault(table, Map.of());
  }

  /** A table's constraints (by name) and the columns each covers. */
  public Map<String, List<String>> constraints(String table) {
    return constraints.getOrDefault(table, Map.of());
  }

  /** A table's unique keys without predicate or expression (by index name, the primary key first). */
  public Map<String, List<String>> uniques(String table) {
    return uniques.getOrDefault(table, Map.of());
  }

  public List<ForeignKey> foreignKeys() {
    return foreignKeys;
  }

  /** The valid HNSW and IVFFlat indexes, by index name. */
  public List<AnnIndex> annIndexes() {
    return annIndexes;
  }
}
