package dev.sluice.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("auth.jwt and rateLimits are validated at start with the bad key named")
class AccessSettingsTest {

  static String failure(JsonObject json) {
    return assertThrows(ConfigException.class, () -> SluiceConfig.from(json)).getMessage();
  }

  static JsonObject withJwt(JsonObject jwt) {
    return ConfigTest.minimal().put("auth", new JsonObject().put("jwt", jwt));
  }

  static JsonObject withLimit(JsonObject limit) {
    return ConfigTest.minimal().put("rateLimits", new JsonObject().put("enabled", true)
        .put("limits", new JsonArray().add(limit)));
  }

  @Test
  @DisplayName("JWT: a short secret, no key source, an unknown algorithm or a non-HTTP JWKS URL stop the start")
  void jwt() {
    assertTrue(failure(withJwt(new JsonObject().put("secret", "short"))).startsWith("auth.jwt.secret: must be at least 32 bytes"));
    assertTrue(failure(withJwt(new JsonObject().put("enabled", true))).startsWith("auth.jwt.enabled: JWTs need a key source"));
    assertTrue(failure(withJwt(new JsonObject().put("algorithms", new JsonArray().add("none")))).startsWith("auth.jwt.algorithms"));
    assertTrue(failure(withJwt(new JsonObject().put("jwksUrl", "file:///etc/keys"))).startsWith("auth.jwt.jwksUrl"));
    assertTrue(failure(withJwt(new JsonObject().put("leewaySeconds", 3600))).startsWith("auth.jwt.leewaySeconds"));
  }

  @Test
  @DisplayName("the secret can come from SLUICE_AUTH_JWT_SECRET, and the defaults are PostgREST's claim names")
  void jwtFromEnv() {
    JsonObject json = withJwt(new JsonObject().put("enabled", true).put("secret", "x".repeat(32)));
    EnvOverrides.apply(json, Map.of("SLUICE_AUTH_JWT_SECRET", "y".repeat(40)));
    JwtSettings s = JwtSettings.from(SluiceConfig.from(json));
    assertEquals("y".repeat(40), s.secret());
    assertEquals("tenant", s.tenantClaim());
    assertEquals("role", s.roleClaim());
    assertEquals(30, s.leewaySeconds());
  }

  @Test
  @DisplayName("rate limits: per, roles, rate and capacity are checked; names are unique")
  void limits() {
    JsonObject ok = new JsonObject().put("name", "a").put("per", "key").put("capacity", 10).put("perSecond", 2.5);
    RateLimitSettings s = RateLimitSettings.from(SluiceConfig.from(withLimit(ok.copy())));
    assertTrue(s.active());
    assertEquals(2.5, s.limits().get(0).perSecond());
    assertTrue(failure(withLimit(ok.copy().put("per", "ip"))).startsWith("rateLimits.limits[0].per"));
    assertTrue(failure(withLimit(ok.copy().put("roles", new JsonArray().add("root")))).startsWith("rateLimits.limits[0].roles"));
    assertTrue(failure(withLimit(ok.copy().put("perSecond", 0))).startsWith("rateLimits.limits[0].perSecond"));
    assertTrue(failure(withLimit(ok.copy().put("capacity", 0))).startsWith("rateLimits.limits[0].capacity"));
    assertTrue(failure(withLimit(ok.copy().put("tenants", new JsonArray().add("one")))).startsWith("rateLimits.limits[0].tenants"));
    JsonObject twice = ConfigTest.minimal().put("rateLimits", new JsonObject().put("limits", new JsonArray().add(ok).add(ok)));
    assertTrue(failure(twice).contains("declared twice"));
  }
}
