package dev.sluice.openapi;

import dev.sluice.catalog.Catalog;
import dev.sluice.catalog.Resource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.openapi.Operation.Access;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static dev.sluice.openapi.Schemas.type;

/**
 * Every route the gateway serves, as documented in /openapi.json: THE one place to add a route to the
 * document. A route added to HttpVerticle without a line here fails OpenApiIT (it compares this list
 * with the router's routes) and is logged at start. Per-resource routes are in {@link ResourceOperations}.
 */
final class ApiRoutes {
  private ApiRoutes() {}

  static List<Operation> all(Catalog catalog, SluiceConfig config) {
    List<Operation> ops = new ArrayList<>();
    new TreeMap<>(catalog.all()).values().forEach(r -> ops.addAll(new ResourceOperations(r, config.reads()).all()));
    JsonObject any = new JsonObject();

    // ---- data, not tied to one resource
    ops.add(Operation.of("POST", "/v1/batch").summary("batch", "Several writes in one transaction",
            "Operations `bulk` (resource, rows, onConflict, conflictKey), `patch` (filter, set) and `delete` (filter), "
                + "in order, all or nothing; an error names details.operation.")
        .access(Access.WRITER)
        .header("Idempotency-Key", "Replays the first response of a request with the same key.")
        .body("application/json", type("object").put("required", new JsonArray().add("operations"))
            .put("properties", new JsonObject().put("operations", type("array").put("items", type("object")
                .put("required", new JsonArray().add("op").add("resource"))
                .put("properties", new JsonObject()
                    .put("op", type("string").put("enum", new JsonArray().add("bulk").add("patch").add("delete")))
                    .put("resource", type("string").put("enum", new JsonArray(names(catalog))))
                    .put("rows", type("array").put("items", type("object")))
                    .put("onConflict", type("string"))
                    .put("conflictKey", type("string"))
                    .put("filter", new JsonObject().put("type", new JsonArray().add("string").add("object")))
                    .put("set", type("object")))))), null)
        .ok(type("object").put("properties", new JsonObject().put("results", type("array").put("items", type("object")))),
            "One result per operation, in order.")
        .errors(400, 409, 413, 503, 504));

    // ---- admin reports
    ops.add(admin("/admin/slo", "SLO targets, alerts and slow queries"));
    ops.add(admin("/admin/db", "Pool figures, pg_stat_statements, cache hit ratio, sizes, locks"));
    ops.add(admin("/admin/vector", "Vector indexes, their builds and whether searches use them"));
    Operation explain = Operation.of("GET", "/admin/explain/{resource}")
        .summary("admin", "The SQL and plan of a read", "Takes the read parameters of GET /v1/{resource}.")
        .access(Access.ADMIN)
        .param(new JsonObject().put("name", "resource").put("in", "path").put("required", true)
            .put("schema", type("string").put("enum", new JsonArray(names(catalog)))))
        .query("analyze", type("boolean"), "Run it (EXPLAIN ANALYZE, BUFFERS).")
        .ok(any, "resource, sql, parameters, analyze, plan").errors(400, 404);
    ops.add(explain);
    ops.add(admin("/admin/advice", "Maintenance advice: each item with why, its numbers and the SQL to apply"));
    ops.add(Operation.of("POST", "/admin/advice/apply").summary("admin", "Apply one advice item (analyze and vacuum only)",
            "Other kinds: 400 with their SQL; an id not in the current advice: 404.").access(Access.ADMIN)
        .body("application/json", type("object").put("required", new JsonArray().add("id"))
            .put("properties", new JsonObject().put("id", type("string"))), null)
        .ok(new JsonObject(), "What was run").errors(400, 404, 503, 504));
    ops.add(admin("/admin/maintenance", "Materialized views (generation, age, last refresh) and time partitions"));
    ops.add(adminAction("/admin/refresh/{resource}", catalog, "Refresh a materialized view now (REFRESH ... CONCURRENTLY)",
        "409 while another gateway refreshes it; 400 for a resource that is not a materialized view."));
    ops.add(adminAction("/admin/partitions/{resource}", catalog, "Run a partition pass now: create ahead, retire past retention",
        "409 while another gateway runs one; 400 for a resource that is not partitioned."));

    // ---- operations surface, no credential
    JsonObject health = type("object").put("properties", new JsonObject().put("status", type("string"))
        .put("checks", type("object")).put("degraded", type("boolean")));
    ops.add(Operation.of("GET", "/health/live").summary("health", "Liveness", null).access(Access.PUBLIC)
        .ok(health, "UP"));
    ops.add(Operation.of("GET", "/health/ready").summary("health", "Readiness",
            "PostgreSQL down: 503 DOWN; Redis down: 200 with degraded true.").access(Access.PUBLIC)
        .ok(health, "Ready").response("503", "application/json", health, "PostgreSQL is down"));
    ops.add(Operation.of("GET", "/metrics").summary("health", "Prometheus metrics", null).access(Access.PUBLIC)
        .response("200", "text/plain", type("string"), "Prometheus text format"));
    ops.add(Operation.of("GET", "/openapi.json").summary("docs", "This document", null).access(Access.PUBLIC)
        .ok(any, "OpenAPI 3.1"));
    ops.add(Operation.of("GET", "/docs").summary("docs", "Swagger UI for this document", null).access(Access.PUBLIC)
        .response("200", "text/html", type("string"), "The page"));
    return ops;
  }

  /** An admin report: GET, admin role, a JSON object. */
  private static Operation admin(String path, String summary) {
    return Operation.of("GET", path).summary("admin", summary, null).access(Access.ADMIN)
        .ok(new JsonObject(), "The report").errors(503, 504);
  }

  /** An admin action on one resource: POST, admin role, a JSON object. */
  private static Operation adminAction(String path, Catalog catalog, String summary, String description) {
    return Operation.of("POST", path).summary("admin", summary, description).access(Access.ADMIN)
        .param(new JsonObject().put("name", "resource").put("in", "path").put("required", true)
            .put("schema", type("string").put("enum", new JsonArray(names(catalog)))))
        .ok(new JsonObject(), "What was done").errors(400, 404, 409, 503, 504);
  }

  /** The resources, sorted, for enums. */
  static List<String> names(Catalog catalog) {
    return new ArrayList<>(new TreeMap<String, Resource>(catalog.all()).keySet());
  }
}
