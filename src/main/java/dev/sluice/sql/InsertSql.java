package dev.sluice.sql;

import dev.sluice.catalog.WriteTarget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The text of a chunk insert, built once per shape (the columns the rows give, the conflict mode
 * and key, whether ids come back) and cached. One statement writes a whole chunk, and it has one
 * parameter per column whatever the number of rows, far below PostgreSQL's 65,535:
 * <pre>
 *   INSERT INTO leads AS t (org_id, title) SELECT u.c1, u.c2 FROM unnest($1::int8[], $2::text[]) AS u(c1, c2)
 *     [ON CONFLICT DO NOTHING | ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, updated_at = now()
 *        WHERE t.org_id = EXCLUDED.org_id]
 *     [RETURNING t.id[, (t.xmax = 0)]]
 * </pre>
 * {@code xmax = 0} tells an inserted row from an updated one. The update's WHERE keeps an upsert
 * from touching another tenant's row. Identifiers come from the catalog only.
 */
public final class InsertSql {
  /**
   * @param columns the target's column indexes, in parameter order
   * @param returnsIds RETURNING gives the primary key first
   * @param returnsInserted RETURNING gives (xmax = 0) second
   * @param keyOffset position of the conflict key's columns in RETURNING, or -1 when the key is the primary key
   */
  public record Statement(String sql, int[] columns, boolean returnsIds, boolean returnsInserted, int keyOffset) {}

  private record Key(String resource, long mask, ConflictMode mode, List<String> conflictKey, boolean ids) {}

  /** Shapes are few in practice; the bound only protects against a client cycling through many. */
  private static final int MAX_CACHED = 512;
  private final Map<Key, Statement> cache = new HashMap<>();

  public Statement of(WriteTarget t, long mask, ConflictMode mode, List<WriteTarget.Column> conflictKey, boolean ids) {
    List<String> keyNames = new ArrayList<>(conflictKey.size());
    conflictKey.forEach(c -> keyNames.add(c.name()));
    Key k = new Key(t.name(), mask, mode, keyNames, ids || mode == ConflictMode.UPDATE);
    Statement s = cache.get(k);
    if (s == null) {
      if (cache.size() >= MAX_CACHED) cache.clear();
      s = build(t, mask, mode, conflictKey, k.ids());
      cache.put(k, s);
    }
    return s;
  }

  public static Statement build(WriteTarget t, long mask, ConflictMode mode, List<WriteTarget.Column> conflictKey, boolean ids) {
    List<WriteTarget.Column> cols = new ArrayList<>();
    for (WriteTarget.Column c : t.columns) if ((mask & c.bit()) != 0) cols.add(c);
    StringBuilder names = new StringBuilder();
    StringBuilder select = new StringBuilder();
    StringBuilder unnest = new StringBuilder();
    StringBuilder alias = new StringBuilder();
    int[] indexes = new int[cols.size()];
    for (int i = 0; i < cols.size(); i++) {
      WriteTarget.Column c = cols.get(i);
      indexes[i] = c.index();
      String sep = i == 0 ? "" : ", ";
      names.append(sep).append(c.name());
      select.append(sep).append("u.c").append(i + 1);
      if (Casts.boundAsText(c.type())) select.append("::").append(c.type().pgName);
      unnest.append(sep).append('$').append(i + 1).append("::").append(Casts.arrayType(c.type()));
      alias.append(sep).append('c').append(i + 1);
    }
    StringBuilder sql = new StringBuilder("INSERT INTO ").append(t.table()).append(" AS t (").append(names)
        .append(") SELECT ").append(select).append(" FROM unnest(").append(unnest).append(") AS u(").append(alias).append(')');
    String pk = "t." + t.primaryKey.name();
    int keyOffset = -1;
    switch (mode) {
      case ERROR -> {
        if (ids) sql.append(" RETURNING ").append(pk);
      }
      case SKIP -> {
        sql.append(" ON CONFLICT DO NOTHING");
        if (ids) sql.append(" RETURNING ").append(pk);
      }
      case UPDATE -> {
        sql.append(" ON CONFLICT (");
        for (int i = 0; i < conflictKey.size(); i++) sql.append(i == 0 ? "" : ", ").append(conflictKey.get(i).name());
        sql.append(") DO UPDATE SET ");
        int set = 0;
        for (WriteTarget.Column c : cols) {
          if (conflictKey.contains(c) || c == t.primaryKey || c == t.tenant || t.touchOnUpdate().contains(c.name())) continue;
          sql.append(set++ == 0 ? "" : ", ").append(c.name()).append(" = EXCLUDED.").append(c.name());
        }
        // The catalog's touchOnUpdate columns (updated_at) say when the gateway last changed the row.
        for (String touched : t.touchOnUpdate()) sql.append(set++ == 0 ? "" : ", ").append(touched).append(" = now()");
        if (set == 0) {
          // Nothing but the key: a no-op update, so the row still counts (and locks) as updated.
          String k = conflictKey.get(0).name();
          sql.append(k).append(" = EXCLUDED.").append(k);
        }
        if (t.tenant != null) {
          sql.append(" WHERE t.").append(t.tenant.name()).append(" = EXCLUDED.").append(t.tenant.name());
        }
        sql.append(" RETURNING ").append(pk).append(", (t.xmax = 0)");
        if (!(conflictKey.size() == 1 && conflictKey.get(0) == t.primaryKey)) {
          keyOffset = 2;
          for (WriteTarget.Column c : conflictKey) sql.append(", t.").append(c.name());
        }
      }
    }
    return new Statement(sql.toString(), indexes, ids || mode == ConflictMode.UPDATE, mode == ConflictMode.UPDATE, keyOffset);
  }
}
