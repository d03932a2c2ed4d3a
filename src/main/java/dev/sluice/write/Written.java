package dev.sluice.write;

import dev.sluice.data.JsonProjection;
import dev.sluice.data.Selection;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.lang.reflect.Array;
import java.util.List;

/**
 * The rows a bulk write wrote, for {@code return=representation}: one statement in the write's own
 * transaction (so it sees them), by the primary keys the chunk inserts returned, in input order,
 * tenant-scoped, projected as a read projects them:
 * <pre>
 *   SELECT coalesce(json_agg(json_build_object('id', t.id, ...) ORDER BY w.n), '[]'::json)
 *   FROM unnest($1::int8[]) WITH ORDINALITY AS w(id, n) JOIN leads t ON t.id = w.id WHERE t.org_id = $2
 * </pre>
 */
final class Written {
  private Written() {}

  static String sql(WriteTarget t, Selection returning) {
    String pk = t.primaryKey.name();
    String tenant = t.tenant == null ? "NULL" : "$2";
    StringBuilder sql = new StringBuilder("SELECT coalesce(json_agg(").append(JsonProjection.render(returning, "t", tenant))
        .append(" ORDER BY w.n), '[]'::json) FROM unnest($1::").append(t.primaryKey.type().pgName)
        .append("[]) WITH ORDINALITY AS w(id, n) JOIN ").append(t.table()).append(" t ON t.").append(pk).append(" = w.id");
    if (t.tenant != null) sql.append(" WHERE t.").append(t.tenant.name()).append(" = $2");
    return sql.toString();
  }

  static Future<JsonArray> read(SqlConnection conn, WriteTarget t, long tenant, Selection returning, List<Object> ids) {
    if (ids.isEmpty()) return Future.succeededFuture(new JsonArray());
    Object keys = Array.newInstance(ids.get(0).getClass(), ids.size());
    for (int i = 0; i < ids.size(); i++) Array.set(keys, i, ids.get(i));
    Tuple params = t.tenant == null ? Tuple.of(keys) : Tuple.of(keys, tenant);
    return conn.preparedQuery(sql(t, returning)).execute(params).map(rs -> {
      Object json = rs.iterator().next().getValue(0);
      return json instanceof JsonArray a ? a : new JsonArray(String.valueOf(json));
    });
  }
}
