package dev.sluice.write;

import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * Idempotency-Key, kept in PostgreSQL (table sluice_idempotency, migration V2) inside the write's own
 * transaction. The key is claimed first: an INSERT that, when another transaction holds the same
 * key, waits for it to finish — so of two concurrent requests only one writes, and the other then
 * finds the committed response. A claimed key's row is completed with the request's hash and the
 * response just before the commit; a rollback takes the claim with it, so only successful
 * responses are remembered and a failed request may simply be retried.
 */
final class Idempotency {
  private static final String CLAIM =
      "INSERT INTO sluice_idempotency AS i (tenant, key, expires_at) VALUES ($1, $2, now() + $3::int * interval '1 second') "
          + "ON CONFLICT (tenant, key) DO UPDATE SET request_hash = NULL, response = NULL, created_at = now(), "
          + "expires_at = EXCLUDED.expires_at WHERE i.expires_at < now() RETURNING true";
  private static final String STORED = "SELECT request_hash, response FROM sluice_idempotency WHERE tenant = $1 AND key = $2";
  private static final String COMPLETE =
      "UPDATE sluice_idempotency SET request_hash = $3, response = $4 WHERE tenant = $1 AND key = $2";
  static final String CLEANUP =
      "DELETE FROM sluice_idempotency WHERE ctid = ANY(ARRAY(SELECT ctid FROM sluice_idempotency "
          + "WHERE expires_at < now() LIMIT 10000))";

  /** The outcome of a claim: ours to write, or the first request's hash and response. */
  record Claim(boolean owned, byte[] storedHash, String storedResponse) {
    static final Claim OWNED = new Claim(true, null, null);

    /** The stored response for a repeat with the same hash; a 409 for a different request. */
    Buffer replay(byte[] hash) {
      if (storedResponse == null) {
        throw new ApiError(409, "conflict", "A request with this Idempotency-Key is still in progress; retry it later.");
      }
      if (!Arrays.equals(storedHash, hash)) {
        throw new ApiError(409, "conflict", "This Idempotency-Key was already used for a different request.");
      }
      return Buffer.buffer(storedResponse);
    }
  }

  private Idempotency() {}

  /** Checks the header's value: 1 to 255 visible ASCII characters. */
  static String validKey(String key) {
    if (key == null) return null;
    if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c > 32 && c < 127)) {
      throw ApiError.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.");
    }
    return key;
  }

  static Future<Claim> claim(SqlConnection conn, long tenant, String key, int ttlSeconds) {
    return conn.preparedQuery(CLAIM).execute(Tuple.of(tenant, key, ttlSeconds))
        .recover(err -> {
          // The other request holding this key ran longer than our statement timeout.
          if (ErrorMapper.waitedForLock(err)) {
            return Future.failedFuture(new ApiError(409, "conflict",
                "A request with this Idempotency-Key is still in progress; retry it later."));
          }
          return Future.failedFuture(err);
        })
        .compose(rs -> rs.size() > 0 ? Future.succeededFuture(Claim.OWNED)
            : conn.preparedQuery(STORED).execute(Tuple.of(tenant, key)).map(stored -> {
              Row r = stored.iterator().next();
              Buffer hash = r.getBuffer(0);
              return new Claim(false, hash == null ? null : hash.getBytes(), r.getString(1));
            }));
  }

  static Future<Void> complete(SqlConnection conn, long tenant, String key, byte[] hash, Buffer response) {
    return conn.preparedQuery(COMPLETE).execute(Tuple.of(tenant, key, Buffer.buffer(hash), response.toString()))
        .mapEmpty();
  }

  static Future<Integer> cleanup(SqlClient client) {
    return client.query(CLEANUP).execute().map(rs -> rs.rowCount());
  }

  /** A running SHA-256 of what makes a request this request: operation, resource, parameters, body. */
  static MessageDigest digest(String op, String resource, JsonObject query) {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    TreeMap<String, Object> params = new TreeMap<>();
    if (query != null) {
      for (String k : query.fieldNames()) if (!k.equals(WriteRequest.IDEMPOTENCY_KEY)) params.put(k, query.getValue(k));
    }
    d.update((op + '\n' + resource + '\n' + params + '\n').getBytes(StandardCharsets.UTF_8));
    return d;
  }

  static byte[] hash(String op, String resource, JsonObject query, Buffer body) {
    MessageDigest d = digest(op, resource, query);
    if (body != null) d.update(body.getBytes());
    return d.digest();
  }
}
