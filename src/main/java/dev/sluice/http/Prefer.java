package dev.sluice.http;

import dev.sluice.bus.Addresses;
import dev.sluice.write.BulkUpload;
import dev.sluice.write.WriteRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Prefer} request header as PostgREST spells it (RFC 7240): {@code return=representation|minimal}
 * on bulk, PATCH and DELETE, {@code count=exact|planned|estimated} on offset pages. A preference
 * becomes the request parameter it stands for (a parameter given explicitly wins), and a 2xx answer
 * names the ones applied in {@code Preference-Applied}. Preferences that do not apply are ignored, as
 * RFC 7240 allows: a count on a keyset page, return on an NDJSON stream or a batch, unknown ones.
 */
final class Prefer {
  private static final CharSequence PREFER = HttpHeaders.createOptimized("Prefer");
  private static final CharSequence PREFERENCE_APPLIED = HttpHeaders.createOptimized("Preference-Applied");

  private Prefer() {}

  /** Adds the applicable preferences of the request to {@code query} (the bus request's fields). */
  static void apply(RoutingContext ctx, String address, JsonObject query) {
    boolean write = address.equals(Addresses.PATCH) || address.equals(Addresses.DELETE)
        || (address.equals(Addresses.BULK) && !BulkUpload.isNdjson(ctx.request()));
    if (!write && !address.equals(Addresses.READ)) return; // point reads never look at the header
    List<String> headers = ctx.request().headers().getAll(PREFER);
    if (headers.isEmpty()) return;
    List<String> applied = new ArrayList<>(2);
    for (String header : headers) {
      for (String token : header.split(",")) {
        int eq = token.indexOf('=');
        if (eq < 0) continue;
        String name = token.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String value = token.substring(eq + 1).trim();
        if (write && name.equals("return") && (value.equals("representation") || value.equals("minimal"))
            && !query.containsKey(WriteRequest.RETURN)) {
          query.put(WriteRequest.RETURN, value);
          applied.add("return=" + value);
        } else if (!write && name.equals("count") && query.containsKey("page") && !query.containsKey("count")
            && (value.equals("exact") || value.equals("planned") || value.equals("estimated"))) {
          // planned and estimated are both the planner's estimate here (see README, Prefer)
          query.put("count", value.equals("exact") ? "exact" : "estimated");
          applied.add("count=" + value);
        }
      }
    }
    if (applied.isEmpty()) return;
    String value = String.join(", ", applied);
    ctx.addHeadersEndHandler(v -> {
      if (ctx.response().getStatusCode() < 300) ctx.response().putHeader(PREFERENCE_APPLIED, value);
    });
  }
}
