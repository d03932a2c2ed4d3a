package dev.sluice.catalog;

import dev.sluice.error.ApiError;

import java.util.Map;

/** The declared resources, verified. Only these exist; anything else is a 404. */
public final class Catalog {
  private final Map<String, Resource> resources;

  public Catalog(Map<String, Resource> resources) {
    this.resources = Map.copyOf(resources);
  }

  public Resource require(String name) {
    Resource r = name == null ? null : resources.get(name);
    if (r == null) throw ApiError.notFound("No resource named '" + safe(name) + "'.");
    return r;
  }

  public Map<String, Resource> all() {
    return resources;
  }

  /** Echoes a client-supplied name only when it is plain, so errors never reflect markup or SQL. */
  static String safe(String name) {
    if (name == null) return "";
    return name.matches("[A-Za-z0-9_\\-]{1,64}") ? name : "(invalid name)";
  }
}
