package dev.sluice.auth;

import dev.sluice.config.JwtSettings;
import dev.sluice.error.ApiError;
import dev.sluice.support.Http;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("JWT verification: HS256 with the demo secret, claims to tenant and role, every bad token a 401")
class JwtAuthenticatorTest {
  /** The demo token of the README: tenant 1, role reader, signed with the demo secret, expiring in 2100. */
  static final String README_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJkZW1vLWp3dC1yZWFkZXIiLCJ0ZW5hbnQiOjEsInJvbGUiOiJyZWFkZXIiLCJpYXQiOjE3NjQ2MzM2MDAsImV4cCI6NDEwMjQ0NDgwMH0.HPhVcyx-sYHn8fAjqt9KEMXKfZ-EBn81j7RLv9BcegY";

  static Vertx vertx;
  static JwtAuthenticator jwt;
  static Tokens demo;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    JwtSettings s = new JwtSettings(true, Tokens.DEMO_SECRET, "", "", "", 300, 10, "tenant", "role", 30, "", "",
        Set.of("HS256", "RS256", "ES256"), 100);
    jwt = Http.await(JwtAuthenticator.start(vertx, s));
    demo = Tokens.hs256(vertx, Tokens.DEMO_SECRET);
  }

  @AfterAll
  static void stop() {
    jwt.close();
    vertx.close();
  }

  static String reason(String token) {
    Throwable t = Http.awaitFailure(jwt.authenticate(token));
    ApiError e = assertInstanceOf(ApiError.class, t);
    assertEquals(401, e.status());
    assertEquals("unauthorized", e.code());
    return e.getMessage();
  }

  @Test
  @DisplayName("the README's demo token is tenant 1, role reader")
  void readmeToken() {
    Principal p = Http.await(jwt.authenticate(README_TOKEN));
    assertEquals(1, p.tenant());
    assertEquals(Role.READER, p.role());
    assertEquals("jwt:null/demo-jwt-reader", p.subject());
    assertTrue(JwtAuthenticator.looksLikeJwt(README_TOKEN));
    assertFalse(JwtAuthenticator.looksLikeJwt("demo-reader"));
    assertFalse(JwtAuthenticator.looksLikeJwt("a.b.c.d"));
  }

  @Test
  @DisplayName("exp and nbf are enforced with the configured leeway (30 s), no more")
  void times() {
    long now = System.currentTimeMillis() / 1000;
    assertTrue(reason(demo.sign(Tokens.claims(1, "reader").put("exp", now - 120))).contains("expired"));
    assertEquals(1, Http.await(jwt.authenticate(demo.sign(Tokens.claims(1, "reader").put("exp", now - 10)))).tenant(),
        "within the leeway");
    assertTrue(reason(demo.sign(Tokens.claims(1, "reader").put("nbf", now + 120))).contains("not valid yet"));
    assertEquals(Role.WRITER, Http.await(jwt.authenticate(demo.sign(Tokens.claims(1, "writer").put("nbf", now + 10)))).role());
  }

  @Test
  @DisplayName("a tampered payload, another secret, alg none, garbage and bad claims are 401s, never 500s")
  void badTokens() {
    String good = demo.sign(Tokens.claims(1, "reader"));
    String[] parts = good.split("\\.");
    String admin = Base64.getUrlEncoder().withoutPadding().encodeToString(
        Tokens.claims(1, "admin").encode().getBytes(StandardCharsets.UTF_8));
    assertTrue(reason(parts[0] + "." + admin + "." + parts[2]).contains("signature"));
    assertTrue(reason(Tokens.hs256(vertx, "another-secret-of-at-least-32-bytes!!").sign(Tokens.claims(1, "reader")))
        .contains("signature"));
    String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8));
    assertTrue(reason(none + "." + admin + ".").contains("algorithm"));
    reason("abc.def.ghi");
    reason("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln");
    assertTrue(reason(demo.sign(new JsonObject().put("role", "reader"))).contains("tenant"));
    assertTrue(reason(demo.sign(new JsonObject().put("tenant", 1).put("role", "superuser"))).contains("role"));
    assertTrue(reason(demo.sign(new JsonObject().put("tenant", -3).put("role", "reader"))).contains("tenant"));
  }

  @Test
  @DisplayName("claims are found by dotted path, and a numeric string is a tenant")
  void claims() {
    JsonObject c = new JsonObject().put("app_metadata", new JsonObject().put("tenant", 7));
    assertEquals(7, JwtAuthenticator.claim(c, "app_metadata.tenant"));
    assertEquals(null, JwtAuthenticator.claim(c, "app_metadata.role"));
    assertEquals(null, JwtAuthenticator.claim(c, "missing.deeper"));
    assertEquals(2, Http.await(jwt.authenticate(demo.sign(new JsonObject().put("tenant", "2").put("role", "Reader")))).tenant());
  }
}
