package dev.sluice.error;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Errors are mapped in one place to one JSON shape")
class ErrorMapperTest {

  static PgException pg(String state) {
    return new PgException("duplicate key value violates unique constraint \"leads_pkey\"", "ERROR", state,
        "Key (id)=(1) already exists.");
  }

  @Test
  @DisplayName("SQLSTATEs map to statuses as PostgREST maps them")
  void sqlStates() {
    assertEquals(409, ErrorMapper.map(pg("23505")).status());
    assertEquals(409, ErrorMapper.map(pg("23503")).status());
    assertEquals(504, ErrorMapper.map(pg("57014")).status());
    assertEquals(400, ErrorMapper.map(pg("22P02")).status());
    assertEquals(503, ErrorMapper.map(pg("57P01")).status());
    assertEquals(500, ErrorMapper.map(pg("XX000")).status());
  }

  @Test
  @DisplayName("every SQLSTATE a client can trigger (classes 22, 23, 42, 54) is a 4xx from the one table")
  void clientClasses() {
    for (String state : new String[] {"22025", "22021", "22P05", "22012", "22000", "2200X", "23P01", "23000", "42883", "42804",
        "42P18", "54000", "54001"}) {
      ApiError e = ErrorMapper.map(pg(state));
      assertTrue(e.status() >= 400 && e.status() < 500, state + " -> " + e.status());
    }
    assertEquals("is not a valid pattern", ErrorMapper.rule("22025").reason());
    assertTrue(ErrorMapper.clientDataRule(pg("23505")).clientData());
    assertNull(ErrorMapper.clientDataRule(pg("57014")), "a timeout is not the row's fault");
    assertNull(ErrorMapper.clientDataRule(pg("42883")), "a statement refused as a whole names no row");
    assertTrue(ErrorMapper.waitedForLock(pg("55P03")));
    assertFalse(ErrorMapper.waitedForLock(pg("23505")));
  }

  @Test
  @DisplayName("database detail, SQL and names never reach the client")
  void noDetailLeaks() {
    String body = ErrorMapper.map(pg("23505")).toJson().encode();
    assertFalse(body.contains("leads_pkey"));
    assertFalse(body.contains("Key (id)"));
    String internal = ErrorMapper.map(new IllegalStateException("SELECT secret FROM t")).toJson().encode();
    assertFalse(internal.contains("SELECT"));
    assertEquals("internal", ErrorMapper.map(new IllegalStateException()).code());
  }

  @Test
  @DisplayName("a full pool or a connection wait timeout is 503 overloaded with Retry-After")
  void overloaded() {
    ApiError busy = ErrorMapper.map(new ConnectionPoolTooBusyException("full"));
    assertEquals(503, busy.status());
    assertEquals("overloaded", busy.code());
    assertEquals(1, busy.retryAfterSeconds());
    assertEquals("overloaded", ErrorMapper.map(new TimeoutException("waiting")).code());
    // Vert.x 5's pool reports its acquisition timeout as a VertxException.
    assertEquals(503, ErrorMapper.map(new io.vertx.core.VertxException("Timeout waiting for connection", true)).status());
  }

  @Test
  @DisplayName("a connection reset or refused on the way to the database is 503 unavailable")
  void connectionLost() {
    assertEquals(503, ErrorMapper.map(new java.io.IOException("Connection reset")).status());
    assertEquals(503, ErrorMapper.map(new java.net.SocketException("Broken pipe")).status());
    assertEquals(503, ErrorMapper.map(new java.net.ConnectException("Connection refused")).status());
  }

  @Test
  @DisplayName("the event-bus form carries the status as failure code and the JSON body as message")
  void replyRoundTrip() {
    ReplyException re = ErrorMapper.toReply(ApiError.notFound("No leads with that id."));
    assertEquals(404, re.failureCode());
    JsonObject body = new JsonObject(re.getMessage());
    assertEquals("not_found", body.getJsonObject("error").getString("code"));
    ApiError back = ErrorMapper.map(re);
    assertEquals(404, back.status());
    assertEquals("No leads with that id.", back.getMessage());
  }

  @Test
  @DisplayName("the JSON shape is {error: {code, message, details}}")
  void shape() {
    JsonObject j = ApiError.badRequest("Bad.", new JsonObject().put("field", "x")).toJson();
    assertEquals("bad_request", j.getJsonObject("error").getString("code"));
    assertEquals("Bad.", j.getJsonObject("error").getString("message"));
    assertEquals("x", j.getJsonObject("error").getJsonObject("details").getString("field"));
    assertNull(ApiError.fromJson(500, "not json"));
  }
}
