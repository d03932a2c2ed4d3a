package dev.sluice.config;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code rateLimits:} section: token buckets per API key (or JWT subject) or per tenant, shared
 * by every gateway through Redis. Each limit applies to the requests that match all of its
 * selectors (roles, tenants, resources; an empty selector matches everything). Nodes lease tokens
 * from the shared bucket in blocks of at most {@code leaseMax} (and at most a tenth of the bucket)
 * and spend them locally; a lease unspent after {@code leaseTtlMs} is dropped.
 */
public record RateLimitSettings(boolean enabled, int leaseMax, int leaseTtlMs, List<Limit> limits) {

  public enum Per { KEY, TENANT }

  /**
   * @param capacity the bucket size: the burst a client may send at once
   * @param perSecond tokens added back per second: the sustained rate
   * @param resources the {@code /v1/{resource}} names it applies to ("batch" for /v1/batch); empty: all,
   *     admin paths included
   */
  public record Limit(String name, Per per, Set<String> roles, Set<Long> tenants, Set<String> resources,
                      int capacity, double perSecond) {}

  public static RateLimitSettings from(SluiceConfig config) {
    return from(new Settings("rateLimits", config.raw() == null ? null : config.raw().getJsonObject("rateLimits")));
  }

  static RateLimitSettings from(Settings r) {
    List<Limit> limits = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Settings l : r.objects("limits")) {
      String name = l.string("name", null);
      if (!name.matches("[a-z0-9_-]{1,64}")) throw new ConfigException(l.key("name") + ": use a-z, 0-9, - and _");
      if (!names.add(name)) throw new ConfigException(l.key("name") + ": '" + name + "' is declared twice");
      String per = l.string("per", null).toUpperCase(Locale.ROOT);
      if (!per.equals("KEY") && !per.equals("TENANT")) throw new ConfigException(l.key("per") + ": must be key or tenant");
      Set<String> roles = new HashSet<>();
      for (String role : l.strings("roles")) {
        String lower = role.toLowerCase(Locale.ROOT);
        if (!Set.of("reader", "writer", "admin").contains(lower)) {
          throw new ConfigException(l.key("roles") + ": '" + role + "' is not reader, writer or admin");
        }
        roles.add(lower);
      }
      Set<Long> tenants = new HashSet<>();
      for (String t : l.strings("tenants")) {
        try {
          tenants.add(Long.parseLong(t));
        } catch (NumberFormatException e) {
          throw new ConfigException(l.key("tenants") + ": '" + t + "' is not a tenant id");
        }
      }
      Object rate = l.json().getValue("perSecond");
      double perSecond;
      try {
        perSecond = rate == null ? -1 : Double.parseDouble(rate.toString());
      } catch (NumberFormatException e) {
        perSecond = -1;
      }
      if (!(perSecond > 0) || perSecond > 1e7) throw new ConfigException(l.key("perSecond") + ": must be a number above 0");
      limits.add(new Limit(name, RateLimitSettings.Per.valueOf(per), Set.copyOf(roles), Set.copyOf(tenants),
          Set.copyOf(l.strings("resources")), l.integer("capacity", 0, 1, 100_000_000), perSecond));
    }
    return new RateLimitSettings(r.bool("enabled", false), r.integer("leaseMax", 20, 1, 100_000),
        r.integer("leaseTtlMs", 1000, 10, 600_000), List.copyOf(limits));
  }

  /** Whether any limit is configured and the feature is on. */
  public boolean active() {
    return enabled && !limits.isEmpty();
  }

  /** For tests and tools: a settings object from a JSON mapping shaped like the section. */
  public static RateLimitSettings fromJson(JsonObject section) {
    return from(new Settings("rateLimits", section));
  }
}
