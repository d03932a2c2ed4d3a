package dev.sluice.config;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The {@code auth.jwt:} section: JWT bearer tokens beside API keys. Keys come from a shared secret
 * (HS256, inline or in a file) and/or a JWKS (RS256, ES256) in a file or at a URL; the file and URL
 * sources are read again every {@code reloadSeconds}, and at once (at most every
 * {@code minReloadSeconds}) when a token names a key id not loaded yet, so keys rotate without a
 * restart. Read from the validated configuration's raw JSON, like the vector settings.
 *
 * @param tenantClaim claim holding the tenant (a dotted path reaches a nested claim: app_metadata.tenant)
 * @param roleClaim claim holding the role: reader, writer or admin (PostgREST's {@code role} habit)
 * @param leewaySeconds clock skew tolerated on exp, nbf and iat
 * @param issuer when not empty, the {@code iss} a token must carry
 * @param audience when not empty, a value the token's {@code aud} must contain
 */
public record JwtSettings(boolean enabled, String secret, String secretFile, String jwksFile, String jwksUrl,
                          int reloadSeconds, int minReloadSeconds, String tenantClaim, String roleClaim,
                          int leewaySeconds, String issuer, String audience, Set<String> algorithms,
                          int cacheMaxEntries) {

  /** RFC 7518 3.2: an HS256 key must be at least as long as the hash (256 bits). */
  static final int MIN_SECRET_BYTES = 32;
  static final Set<String> SUPPORTED = Set.of("HS256", "RS256", "ES256");

  public static JwtSettings from(SluiceConfig config) {
    JsonObject auth = config.raw() == null ? null : config.raw().getJsonObject("auth");
    return from(new Settings("auth", auth).child("jwt"));
  }

  static JwtSettings from(Settings j) {
    List<String> algorithms = j.strings("algorithms");
    for (String a : algorithms) {
      if (!SUPPORTED.contains(a)) throw new ConfigException(j.key("algorithms") + ": '" + a + "' is not one of " + SUPPORTED);
    }
    JwtSettings s = new JwtSettings(
        j.bool("enabled", false),
        j.has("secret") ? j.json().getValue("secret").toString() : "",
        optional(j, "secretFile"),
        optional(j, "jwksFile"),
        optional(j, "jwksUrl"),
        j.integer("reloadSeconds", 300, 1, 86_400),
        j.integer("minReloadSeconds", 10, 0, 3600),
        j.string("tenantClaim", "tenant"),
        j.string("roleClaim", "role"),
        j.integer("leewaySeconds", 30, 0, 300),
        optional(j, "issuer"),
        optional(j, "audience"),
        Set.copyOf(algorithms.isEmpty() ? List.of("HS256", "RS256", "ES256") : algorithms),
        j.integer("cacheMaxEntries", 10_000, 0, 10_000_000));
    if (!s.secret.isEmpty() && s.secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
      throw new ConfigException(j.key("secret") + ": must be at least " + MIN_SECRET_BYTES + " bytes for HS256");
    }
    if (s.enabled && s.secret.isEmpty() && s.secretFile.isEmpty() && s.jwksFile.isEmpty() && s.jwksUrl.isEmpty()) {
      throw new ConfigException(j.key("enabled") + ": JWTs need a key source: secret, secretFile, jwksFile or jwksUrl");
    }
    if (!s.jwksUrl.isEmpty() && !s.jwksUrl.startsWith("http://") && !s.jwksUrl.startsWith("https://")) {
      throw new ConfigException(j.key("jwksUrl") + ": must be an http:// or https:// URL");
    }
    return s;
  }

  /** An optional string: absent or empty means "not set". */
  private static String optional(Settings j, String name) {
    Object v = j.json().getValue(name);
    return v == null ? "" : v.toString().trim();
  }
}
