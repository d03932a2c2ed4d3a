package dev.sluice.openapi;

import dev.sluice.catalog.Resource;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.config.SluiceConfig;
import dev.sluice.openapi.Operation.Access;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

import static dev.sluice.openapi.Schemas.counts;
import static dev.sluice.openapi.Schemas.ref;
import static dev.sluice.openapi.Schemas.type;

/** The operations of one declared resource, each under its own path (/v1/leads, /v1/leads/{id}, ...). */
final class ResourceOperations {
  private final Resource r;
  private final SluiceConfig.Reads reads;
  private final String base;

  ResourceOperations(Resource r, SluiceConfig.Reads reads) {
    this.r = r;
    this.reads = reads;
    this.base = "/v1/" + r.name();
  }

  List<Operation> all() {
    List<Operation> ops = new ArrayList<>(List.of(page(), get(), patch(), delete(), bulk(), changes()));
    if (!r.vectors().isEmpty()) {
      ops.add(search());
      ops.add(similar());
    }
    return ops;
  }

  private String tag() {
    return r.name();
  }

  private JsonObject idParam() {
    return new JsonObject().put("name", "id").put("in", "path").put("required", true)
        .put("schema", Schemas.plain(r.primaryKeyType()))
        .put("description", "The primary key (" + r.primaryKey() + ").");
  }

  private Operation select(Operation op) {
    String relations = r.relations().isEmpty() ? "" : "; relations with their own fields: "
        + String.join(", ", r.relations().keySet().stream().map(n -> n + "(id,...)").toList());
    return op.query("select", type("string"), "Comma-separated fields: " + String.join(", ", r.fields().keySet())
        + relations + ". Default: " + String.join(",", r.defaultSelect()) + ".");
  }

  private Operation page() {
    JsonObject keyset = type("object").put("properties", new JsonObject()
        .put("data", type("array").put("items", ref(r.name())))
        .put("next", new JsonObject().put("type", new JsonArray().add("string").add("null"))
            .put("description", "the cursor of the next page (pass it as after), null on the last page")));
    JsonObject offset = type("object").put("properties", new JsonObject()
        .put("data", type("array").put("items", ref(r.name())))
        .put("page", type("integer")).put("limit", type("integer"))
        .put("total", new JsonObject().put("type", new JsonArray().add("integer").add("null")))
        .put("totalPages", new JsonObject().put("type", new JsonArray().add("integer").add("null"))));
    Operation op = Operation.of("GET", base, "/v1/{resource}")
        .summary(tag(), "A page of " + r.name(), "Keyset pages by default (follow `next` with `after`); "
            + "`page=N` for offset pages (up to an offset of " + reads.maxOffset() + "), with `count`. "
            + (r.tenantScoped() ? "Only the caller's tenant's rows." : "Shared by every tenant."))
        .access(Access.READER);
    select(op)
        .query("order", type("string"), "Sort keys, comma-separated, each `field.asc` or `field.desc`; sortable: "
            + String.join(", ", r.sortable()) + ". The primary key is appended as tiebreaker.")
        .query("limit", type("integer").put("minimum", 1).put("maximum", r.maxLimit()).put("default", reads.defaultLimit()),
            "Rows per page.")
        .query("after", type("string"), "The opaque cursor from the previous page's `next`.")
        .query("page", type("integer").put("minimum", 1), "Offset page number (instead of after).")
        .query("count", type("string").put("enum", new JsonArray().add("exact").add("estimated").add("none")),
            "With page: the total row count, exact or the planner's estimate.")
        .header("Cache-Control", "`no-cache` reads PostgreSQL and leaves the cache alone.")
        .params(Schemas.filterParameters(r))
        .ok(new JsonObject().put("oneOf", new JsonArray().add(keyset).add(offset)), "The page; `X-Cache: hit|miss`.")
        .errors(400, 503, 504);
    return op;
  }

  private Operation get() {
    Operation op = Operation.of("GET", base + "/{id}", "/v1/{resource}/{id}")
        .summary(tag(), "One " + r.name() + " row by primary key", "404 for a missing row and for another tenant's.")
        .access(Access.READER)
        .param(idParam());
    return select(op).header("Cache-Control", "`no-cache` reads PostgreSQL and leaves the cache alone.")
        .ok(ref(r.name()), "The row; `X-Cache: hit|miss`.").errors(400, 404, 503, 504);
  }

  private Operation patch() {
    return Operation.of("PATCH", base, "/v1/{resource}")
        .summary(tag(), "Update the " + r.name() + " rows that match the filters",
            "One transaction. The filters are the read filters; the body sets fields to values.")
        .access(Access.WRITER)
        .params(Schemas.filterParameters(r))
        .header("Idempotency-Key", "Replays the first response of a request with the same key.")
        .body("application/json", Schemas.rowInput(r), "The fields to set.")
        .ok(counts("updated"), "How many rows were updated.")
        .errors(400, 409, 413, 503, 504);
  }

  private Operation delete() {
    return Operation.of("DELETE", base, "/v1/{resource}")
        .summary(tag(), "Delete the " + r.name() + " rows that match the filters", "One transaction.")
        .access(Access.WRITER)
        .params(Schemas.filterParameters(r))
        .header("Idempotency-Key", "Replays the first response of a request with the same key.")
        .ok(counts("deleted"), "How many rows were deleted.")
        .errors(400, 409, 503, 504);
  }

  private Operation bulk() {
    return Operation.of("POST", base + "/bulk", "/v1/{resource}/bulk")
        .summary(tag(), "Insert or upsert " + r.name() + " rows in one transaction",
            "A JSON array (at most writes.maxRows rows) or NDJSON, streamed in chunks.")
        .access(Access.WRITER)
        .query("onConflict", type("string").put("enum", new JsonArray().add("error").add("skip").add("update"))
            .put("default", "error"), "What a row whose key exists does.")
        .query("conflictKey", type("string"), "With onConflict=update: the unique key (comma-separated columns).")
        .header("Idempotency-Key", "Replays the first response of a request with the same key.")
        .body("application/json", type("array").put("items", Schemas.rowInput(r)), "The rows.")
        .body("application/x-ndjson", type("string").put("description", "one JSON object per line"), "The rows.")
        .ok(counts("inserted", "skipped", "updated"), "Exact counts.")
        .errors(400, 409, 413, 503, 504);
  }

  private Operation changes() {
    return Operation.of("GET", base + "/changes", "/v1/{resource}/changes")
        .summary(tag(), "Server-Sent Events of committed writes to " + r.name(),
            "Events `{resource, tenant, op, ids, count, at}` of the caller's tenant; resume with Last-Event-ID.")
        .access(Access.READER)
        .header("Last-Event-ID", "The id of the last event received, to replay what was missed.")
        .response("200", "text/event-stream", type("string"), "The event stream.");
  }

  private Operation search() {
    VectorSpec first = r.vectors().values().iterator().next();
    JsonObject body = type("object").put("required", new JsonArray().add("vector")).put("additionalProperties", false)
        .put("properties", new JsonObject()
            .put("vector", type("array").put("items", type("number")).put("minItems", first.dimensions())
                .put("maxItems", first.dimensions()).put("description", first.dimensions() + " finite numbers"))
            .put("k", type("integer").put("minimum", 1).put("maximum", 1000).put("default", 10))
            .put("select", type("string"))
            .put("filter", type("string").put("description", "read filters in query-string form: section=eq.web&priority=gte.3"))
            .put("efSearch", type("integer").put("description", "HNSW ef_search for this query"))
            .put("probes", type("integer").put("description", "IVFFlat probes for this query"))
            .put("exact", type("boolean").put("description", "a full scan: the reference answer"))
            .put("column", type("string").put("enum", new JsonArray(new ArrayList<>(r.vectors().keySet())))));
    return Operation.of("POST", base + "/search", "/v1/{resource}/search")
        .summary(tag(), "Nearest " + r.name() + " to a vector", "Metric " + first.metric().name().toLowerCase()
            + " (" + first.metric().operator + "); `distance` in each row, nearest first.")
        .access(Access.READER)
        .body("application/json", body, null)
        .ok(hits(), "The k nearest rows.")
        .errors(400, 503, 504);
  }

  private Operation similar() {
    return Operation.of("GET", base + "/{id}/similar", "/v1/{resource}/{id}/similar")
        .summary(tag(), r.name() + " nearest to a stored row", "The row's own vector is the query; the row itself is left out.")
        .access(Access.READER)
        .param(idParam())
        .query("k", type("integer").put("minimum", 1).put("maximum", 1000).put("default", 10), "How many rows.")
        .query("select", type("string"), "Fields to return.")
        .query("efSearch", type("integer"), "HNSW ef_search for this query.")
        .query("probes", type("integer"), "IVFFlat probes for this query.")
        .query("exact", type("boolean"), "A full scan.")
        .query("column", type("string"), "The vector column, when there are several.")
        .params(Schemas.filterParameters(r))
        .ok(hits(), "The k nearest rows.")
        .errors(400, 404, 503, 504);
  }

  private JsonObject hits() {
    return type("object").put("properties", new JsonObject().put("data", type("array").put("items",
        new JsonObject().put("allOf", new JsonArray().add(ref(r.name()))
            .add(type("object").put("properties", new JsonObject().put("distance", type("number"))))))));
  }
}
