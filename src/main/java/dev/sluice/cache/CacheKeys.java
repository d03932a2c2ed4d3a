package dev.sluice.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The key scheme. Every key carries the tenant, so no cross-tenant hit is possible.
 * <ul>
 *   <li>{@code g:<resource>:<tenant>} — the generation of a tenant's resource: bumped by every
 *   write to it; part of the version of every page and count, and of every value that embeds it.</li>
 *   <li>{@code eg:<resource>:<tenant>} — entity generation: bumped when a write's ids are unknown.</li>
 *   <li>{@code ev:<resource>:<tenant>:<id>} — one entity's version: bumped by writes naming that id,
 *   so a write invalidates exactly the entities it touched.</li>
 *   <li>{@code rg:<resource>} — the refresh generation of a materialized view, for all tenants at
 *   once: bumped by every refresh, part of the version of every value read from the view.</li>
 *   <li>values: {@code v:<kind>:<resource>:<tenant>:<shape>[:<values>]@<version>}.</li>
 * </ul>
 */
public final class CacheKeys {
  private final String prefix;
  /**
   * Digests of statement and selection shapes, memoised: there are few shapes and many requests,
   * so a hit does not hash its shape every time (bounded: shapes come from clients).
   */
  private final Cache<String, String> shapes = Caffeine.newBuilder().maximumSize(10_000).build();
  /** Resources read from materialized views: their values also depend on the refresh generation. */
  private final Set<String> refreshed;

  public CacheKeys(String prefix) {
    this(prefix, Set.of());
  }

  public CacheKeys(String prefix, Set<String> refreshed) {
    this.prefix = prefix;
    this.refreshed = Set.copyOf(refreshed);
  }

  /** One counter per materialized view, not per tenant: a refresh changes every tenant's rows. */
  public String refreshGeneration(String resource) {
    return prefix + "rg:" + resource;
  }

  private void addRefreshGeneration(List<String> versions, String resource) {
    if (refreshed.contains(resource)) versions.add(refreshGeneration(resource));
  }

  private String shape(String text) {
    return text.length() <= 64 ? text : shapes.get(text, CacheKeys::digest);
  }

  public String generation(String resource, long tenant) {
    return prefix + "g:" + resource + ":" + tenant;
  }

  public String entityGeneration(String resource, long tenant) {
    return prefix + "eg:" + resource + ":" + tenant;
  }

  public String entityVersion(String resource, long tenant, Object id) {
    return prefix + "ev:" + resource + ":" + tenant + ":" + id;
  }

  /**
   * A page or count: versioned by the generations of its resource and of every embedded one.
   *
   * @param shape what is the same for many requests (the statement text)
   * @param values what differs between them (its parameter values)
   */
  public CacheSpec query(String kind, String resource, long tenant, String shape, String values,
                         Collection<String> embedded, int ttl) {
    List<String> versions = new ArrayList<>();
    versions.add(generation(resource, tenant));
    for (String e : embedded) versions.add(generation(e, tenant));
    addRefreshGeneration(versions, resource);
    for (String e : embedded) addRefreshGeneration(versions, e);
    return new CacheSpec(resource, kind, prefix + "v:" + kind + ":" + resource + ":" + tenant + ":" + shape(shape) + ":" + digest(values),
        versions, ttl);
  }

  /** One row: versioned by its own counter and the entity generation (and embedded resources' generations). */
  public CacheSpec entity(String resource, long tenant, Object id, String shape, Collection<String> embedded, int ttl) {
    List<String> versions = new ArrayList<>();
    versions.add(entityGeneration(resource, tenant));
    versions.add(entityVersion(resource, tenant, id));
    for (String e : embedded) versions.add(generation(e, tenant));
    addRefreshGeneration(versions, resource);
    for (String e : embedded) addRefreshGeneration(versions, e);
    return new CacheSpec(resource, "entity", prefix + "v:e:" + resource + ":" + tenant + ":" + id + ":" + shape(shape),
        versions, ttl);
  }

  /** A consumer's own key-value entry (sluice.cache.get/put), kept apart from response values. */
  public String raw(long tenant, String key) {
    return prefix + "raw:" + tenant + ":" + key;
  }

  /** Long query texts are hashed to keep keys short; short ones stay readable for debugging. */
  static String digest(String text) {
    if (text.length() <= 64) return text;
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
