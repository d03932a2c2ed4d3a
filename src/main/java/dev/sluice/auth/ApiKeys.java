package dev.sluice.auth;

import java.util.Map;
import java.util.Optional;

/** API keys from the configuration; each maps to a tenant and a role. */
public final class ApiKeys {
  private final Map<String, Principal> byKey;

  public ApiKeys(Map<String, Principal> byKey) {
    this.byKey = Map.copyOf(byKey);
  }

  public Optional<Principal> lookup(String key) {
    return key == null ? Optional.empty() : Optional.ofNullable(byKey.get(key));
  }

  /** Reads {@code Authorization: Bearer <key>}; anything else is no key. */
  public Optional<Principal> fromAuthorizationHeader(String header) {
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    return lookup(header.substring(7).trim());
  }
}
