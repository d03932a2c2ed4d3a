package dev.sluice.auth;

import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("JWT bearer tokens beside API keys, end to end: HS256, RS256 from a JWKS file, ES256 from a JWKS URL, rotation")
class JwtIT {
  static TestGateway gw;
  static Http http;
  static HttpServer jwksServer;
  static Path jwksFile;
  static Tokens hs;
  static Tokens rs;
  static Tokens es;
  static io.vertx.core.Vertx helper;

  @BeforeAll
  static void start() throws Exception {
    helper = io.vertx.core.Vertx.vertx();
    hs = Tokens.hs256(helper, Tokens.DEMO_SECRET);
    rs = Tokens.keyPair(helper, "RS256", "file-rsa");
    es = Tokens.keyPair(helper, "ES256", "url-ec");
    jwksFile = Files.createTempFile("sluice-jwks", ".json");
    Files.writeString(jwksFile, new JsonObject().put("keys", new JsonArray().add(rs.jwk)).encode());
    JsonObject urlKeys = new JsonObject().put("keys", new JsonArray().add(es.jwk));
    jwksServer = Http.await(helper.createHttpServer().requestHandler(req -> req.response()
        .putHeader("content-type", "application/json").end(urlKeys.encode())).listen(0, "127.0.0.1"));
    JsonObject jwt = new JsonObject().put("jwksFile", jwksFile.toString())
        .put("jwksUrl", "http://127.0.0.1:" + jwksServer.actualPort() + "/.well-known/jwks.json")
        .put("minReloadSeconds", 0)
        .put("tenantClaim", "app_metadata.tenant");
    gw = Http.await(TestGateway.start("jwt", new JsonObject().put("auth", new JsonObject().put("jwt", jwt)), List.of()));
    http = new Http(gw.port);
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) Http.await(gw.close());
    if (jwksServer != null) Http.await(jwksServer.close());
    Files.deleteIfExists(jwksFile);
    if (helper != null) Http.await(helper.close());
  }

  /** Claims with the tenant where this gateway's config looks for it (auth.jwt.tenantClaim: app_metadata.tenant). */
  static JsonObject claims(long tenant, String role) {
    JsonObject c = Tokens.claims(tenant, role);
    c.remove("tenant");
    return c.put("app_metadata", new JsonObject().put("tenant", tenant));
  }

  @Test
  @DisplayName("an HS256 token is tenant and role from its claims: same rows as the tenant's API key, another tenant's row 404")
  void hs256() {
    Http.Response byJwt = http.get("/v1/leads/1", hs.sign(claims(1, "reader")));
    assertEquals(200, byJwt.status(), byJwt.body());
    assertEquals(http.get("/v1/leads/1", "demo-reader").json(), byJwt.json());
    assertEquals(404, http.get("/v1/leads/1", hs.sign(claims(2, "reader"))).status());
    Http.Response page = http.get("/v1/leads?limit=50", hs.sign(claims(2, "reader")));
    assertEquals(200, page.status());
    page.json().getJsonArray("data").forEach(row -> assertEquals(2L, ((JsonObject) row).getLong("org_id")));
  }

  @Test
  @DisplayName("the role claim limits what a token may do: a reader may not write (403), a writer may, admin reaches /admin")
  void roles() {
    Http.Response denied = http.send("PATCH", "/v1/leads?id=eq.1", hs.sign(claims(1, "reader")), "application/json",
        "{\"priority\": 3}");
    assertEquals(403, denied.status());
    assertEquals("forbidden", denied.json().getJsonObject("error").getString("code"));
    Http.Response written = http.send("PATCH", "/v1/leads?id=eq.1", hs.sign(claims(1, "writer")), "application/json",
        "{\"priority\": 3}");
    assertEquals(200, written.status(), written.body());
    assertEquals(1, written.json().getInteger("updated"));
    assertEquals(403, http.get("/admin/slo", hs.sign(claims(1, "writer"))).status());
    assertEquals(200, http.get("/admin/slo", hs.sign(claims(1, "admin"))).status());
  }

  @Test
  @DisplayName("RS256 keys come from the JWKS file and ES256 keys from the JWKS URL")
  void jwks() {
    assertEquals(200, http.get("/v1/leads/1", rs.sign(claims(1, "reader"))).status());
    assertEquals(200, http.get("/v1/leads/1", es.sign(claims(1, "reader"))).status());
  }

  @Test
  @DisplayName("bad, expired and unknown-key tokens are 401 in the JSON error shape, and API keys keep working")
  void rejected() {
    long now = System.currentTimeMillis() / 1000;
    for (String token : List.of(hs.sign(claims(1, "reader").put("exp", now - 3600)), "abc.def.ghi",
        Tokens.hs256(gw.vertx, "a-different-secret-that-is-long-enough").sign(claims(1, "reader")),
        hs.sign(Tokens.claims(1, "reader")))) {
      Http.Response r = http.get("/v1/leads/1", token);
      assertEquals(401, r.status(), token);
      assertEquals("unauthorized", r.json().getJsonObject("error").getString("code"));
    }
    assertEquals(200, http.get("/v1/leads/1", "demo-reader").status());
    assertEquals(401, http.get("/v1/leads/1", "not-a-key").status());
  }

  @Test
  @DisplayName("a key added to the JWKS file is used without a restart: the unknown kid makes the gateway read the keys again")
  void rotation() throws Exception {
    Tokens rotated = Tokens.keyPair(gw.vertx, "RS256", "rotated-" + System.nanoTime());
    String token = rotated.sign(claims(1, "reader"));
    Http.Response before = http.get("/v1/leads/1", token);
    assertEquals(401, before.status());
    assertNull(before.header("RateLimit-Limit"));
    Files.writeString(jwksFile, new JsonObject().put("keys", new JsonArray().add(rs.jwk).add(rotated.jwk)).encode());
    Http.Response after = http.get("/v1/leads/1", token);
    assertEquals(200, after.status(), after.body());
    assertTrue(after.json().containsKey("id"));
    assertEquals(200, http.get("/v1/leads/1", rs.sign(claims(1, "reader"))).status(), "the other keys stay");

    // A write whose token needs a reload first: the body waits for the reload and reaches the BodyHandler.
    Tokens writer = Tokens.keyPair(gw.vertx, "ES256", "rotated-w-" + System.nanoTime());
    Files.writeString(jwksFile, new JsonObject().put("keys", new JsonArray().add(rs.jwk).add(rotated.jwk).add(writer.jwk)).encode());
    Http.Response write = http.send("PATCH", "/v1/leads?id=eq.5", writer.sign(claims(1, "writer")), "application/json",
        "{\"priority\": 2}");
    assertEquals(200, write.status(), write.body());
    assertEquals(1, write.json().getInteger("updated"));
  }
}
