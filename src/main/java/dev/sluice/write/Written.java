package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.sql.Selection;
import dev.sluice.sql.WrittenSql;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.lang.reflect.Array;
import java.util.List;

/**
 * The rows a bulk write wrote, for {@code return=representation}: one statement in the write's own
 * transaction (so it sees them), by the primary keys the chunk inserts returned ({@link WrittenSql}).
 */
final class Written {
  private Written() {}

  static Future<JsonArray> read(SqlConnection conn, WriteTarget t, long tenant, Selection returning, List<Object> ids) {
    if (ids.isEmpty()) return Future.succeededFuture(new JsonArray());
    Object keys = Array.newInstance(ids.get(0).getClass(), ids.size());
    for (int i = 0; i < ids.size(); i++) Array.set(keys, i, ids.get(i));
    Tuple params = t.tenant == null ? Tuple.of(keys) : Tuple.of(keys, tenant);
    return conn.preparedQuery(WrittenSql.select(t, returning)).execute(params).map(rs -> {
      Object json = rs.iterator().next().getValue(0);
      return json instanceof JsonArray a ? a : new JsonArray(String.valueOf(json));
    });
  }
}
