package dev.sluice.auth;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("API keys map a bearer token to a tenant and a role")
class ApiKeysTest {
  final ApiKeys keys = new ApiKeys(Map.of("k1", new Principal(7, Role.WRITER)));

  @Test
  @DisplayName("only 'Bearer <known key>' authenticates")
  void bearer() {
    assertEquals(new Principal(7, Role.WRITER), keys.fromAuthorizationHeader("Bearer k1").orElseThrow());
    assertEquals(7, keys.fromAuthorizationHeader("bearer k1").orElseThrow().tenant());
    assertTrue(keys.fromAuthorizationHeader("Bearer k2").isEmpty());
    assertTrue(keys.fromAuthorizationHeader("Basic k1").isEmpty());
    assertTrue(keys.fromAuthorizationHeader(null).isEmpty());
    assertTrue(keys.fromAuthorizationHeader("Bearer ").isEmpty());
  }

  @Test
  @DisplayName("each role can do what the roles below it can, and no more")
  void roles() {
    assertTrue(Role.ADMIN.allows(Role.WRITER));
    assertTrue(Role.WRITER.allows(Role.READER));
    assertFalse(Role.READER.allows(Role.WRITER));
    assertFalse(Role.WRITER.allows(Role.ADMIN));
  }
}
