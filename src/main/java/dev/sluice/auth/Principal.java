package dev.sluice.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Who is calling: the tenant every query is scoped to and the role that limits what it may do.
 * {@code subject} names the credential for per-key rate limits ("key:" + a digest of the API key,
 * "jwt:" + the token's issuer and subject); it never holds a secret.
 */
public record Principal(long tenant, Role role, String subject) {

  public Principal(long tenant, Role role) {
    this(tenant, role, null);
  }

  /** A principal for an API key: the subject is a digest, so the key itself is never stored or sent anywhere. */
  public static Principal forApiKey(String key, long tenant, Role role) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return new Principal(tenant, role, "key:" + HexFormat.of().formatHex(digest, 0, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
