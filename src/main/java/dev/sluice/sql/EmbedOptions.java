package dev.sluice.sql;

import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.Kind;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * An embed's own filters, order and page, from its scoped parameters ({@code leads.status=eq.new},
 * {@code leads.order=created_at.desc}, {@code leads.limit=5}, {@code leads.offset=5}).
 *
 * <p>A to-many embed returns at most {@code limit} rows: the request's {@code <path>.limit}, up to
 * {@code reads.embedMaxRows} (a 400 beyond it), else the relation's {@code limit} in the catalog
 * (never more than {@code reads.embedMaxRows}). Rows past it are left out of the array; the
 * relation's {@code (count)} gives their total.
 *
 * @param order null: the target's primary key, ascending
 * @param limit the request's limit (bound as a parameter), or null for the default
 * @param defaultLimit the catalog's limit, capped (a constant of the configuration, written into the SQL)
 */
record EmbedOptions(Filters filters, Ordering order, Integer limit, Integer offset, int defaultLimit) {
  private static final Set<String> NOT_FILTERS = Set.of("order", "limit", "offset");

  static EmbedOptions parse(Resource target, Resource.Relation rel, String path, JsonObject params, int embedMaxRows) {
    Filters filters = Filters.parse(target, params, NOT_FILTERS);
    String order = DataRequest.param(params, "order");
    String limit = DataRequest.param(params, "limit");
    String offset = DataRequest.param(params, "offset");
    if (rel.kind() == Kind.ONE && (order != null || limit != null || offset != null)) {
      throw ApiError.badRequest(path + " is a to-one relation: order, limit and offset go with to-many relations.");
    }
    Integer lim = null;
    if (limit != null) {
      lim = Numbers.parsePositive(path + ".limit", limit);
      if (lim > embedMaxRows) {
        throw ApiError.badRequest(path + ".limit must be at most " + embedMaxRows + " (reads.embedMaxRows).",
            new JsonObject().put("embedMaxRows", embedMaxRows));
      }
    }
    Integer off = offset == null ? null : Numbers.parseNonNegative(path + ".offset", offset);
    return new EmbedOptions(filters, order == null ? null : Ordering.parse(target, order), lim, off,
        Math.min(rel.limit(), embedMaxRows));
  }

  /** True when nothing was asked beyond the defaults: the embed's SQL then needs no parameter. */
  boolean isDefault() {
    return filters.isEmpty() && order == null && limit == null && offset == null;
  }
}
