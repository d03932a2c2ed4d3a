package dev.sluice.metrics;

import dev.sluice.bus.Addresses;
import dev.sluice.bus.DataRequest;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;

/** Names an operation from its event-bus address and request, for timers and SLO checks. */
final class Operations {
  private static final Map<String, String> BY_ADDRESS = Map.of(
      Addresses.GET, "read.get",
      Addresses.READ, "read.page",
      Addresses.BULK, "bulk",
      Addresses.PATCH, "patch",
      Addresses.DELETE, "delete",
      Addresses.BATCH, "batch",
      Addresses.SEARCH, "search",
      Addresses.SIMILAR, "similar");
  private static final Set<String> PAGE_PARAMS = Set.of("select", "order", "limit", "after", "page", "count", "offset");

  private Operations() {}

  static String of(String address) {
    return BY_ADDRESS.get(address);
  }

  /** A page with filters or an embedded relation is the guides' "complex query". */
  static String page(Object body) {
    JsonObject query = body instanceof DataRequest r ? r.query() : body instanceof JsonObject j ? j : null;
    if (query == null) return "read.page";
    String select = String.valueOf(query.getValue("select", ""));
    if (select.contains("(")) return "read.page.complex";
    for (String k : query.fieldNames()) {
      if (!PAGE_PARAMS.contains(k) && !k.equals("resource") && !k.equals("tenant") && !k.equals("apiKey")) {
        return "read.page.complex";
      }
    }
    return "read.page";
  }

  static boolean counts(Object body) {
    JsonObject query = body instanceof DataRequest r ? r.query() : body instanceof JsonObject j ? j : null;
    return query != null && query.getValue("count") != null && !"none".equals(query.getValue("count"));
  }

  static String resource(Object body, Set<String> known) {
    String r = body instanceof DataRequest d ? d.resource() : body instanceof JsonObject j ? j.getString("resource") : null;
    return r != null && known.contains(r) ? r : "other";
  }
}
