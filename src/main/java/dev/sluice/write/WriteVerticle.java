package dev.sluice.write;

import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import dev.sluice.data.Database;
import dev.sluice.data.Filters;
import dev.sluice.error.ApiError;
import dev.sluice.error.ErrorMapper;
import dev.sluice.replica.CommitFence;
import dev.sluice.replica.ReplicaSet;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.logging.Logger;

/**
 * The write path: serves {@code sluice.bulk}, {@code sluice.patch}, {@code sluice.delete} and
 * {@code sluice.batch} for the HTTP verticle and any other event-bus consumer, and
 * {@code sluice.bulk.stream} (local only) for NDJSON uploads (see {@link BulkSession}). Every
 * request is one transaction on this verticle's own pool (the pipelined read client has no
 * transactions); validation happens before the transaction starts wherever the input is buffered.
 * After a commit, the changes go to the cache and out on {@code sluice.changes.<resource>}.
 */
public final class WriteVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(WriteVerticle.class.getName());
  private static final long CLEANUP_EVERY_MS = 15 * 60_000L;

  final SluiceConfig config;
  final SluiceConfig.Writes settings;
  private final Catalog catalog;
  final InsertSql sqls = new InsertSql();
  Pool pool;
  private Map<String, WriteTarget> targets;
  private long cleanupTimer = -1;
  private final ReplicaSet replicas;
  CommitFence fence;

  public WriteVerticle(SluiceConfig config, Catalog catalog, ReplicaSet replicas) {
    this.config = config;
    this.settings = config.writes();
    this.catalog = catalog;
    this.replicas = replicas;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.pg(), settings.poolSize(), "sluice-writes");
    EventBus bus = vertx.eventBus();
    fence = new CommitFence(replicas, pool, bus);
    ApiKeys keys = config.apiKeys();
    return WriteSchema.load(pool, catalog)
        .compose(loaded -> {
          targets = loaded;
          return Future.all(
              BusService.serve(bus, Addresses.BULK, keys, this::bulk),
              BusService.serve(bus, Addresses.PATCH, keys, this::patch),
              BusService.serve(bus, Addresses.DELETE, keys, this::delete),
              BusService.serve(bus, Addresses.BATCH, keys, this::batch),
              bus.<DataRequest>localConsumer(BulkSession.OPEN, this::openStream).completion());
        })
        .onSuccess(v -> {
          cleanup();
          cleanupTimer = vertx.setPeriodic(CLEANUP_EVERY_MS, id -> cleanup());
        });
  }

  @Override
  public Future<?> stop() {
    if (cleanupTimer >= 0) vertx.cancelTimer(cleanupTimer);
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  /** Drops expired Idempotency-Keys; any instance may do it, and doing it twice is harmless. */
  private void cleanup() {
    Idempotency.cleanup(pool)
        .onSuccess(n -> {
          if (n > 0) LOG.fine("dropped " + n + " expired idempotency key(s)");
        })
        .onFailure(err -> LOG.fine("idempotency cleanup skipped: " + ErrorMapper.map(err).code()));
  }

  WriteTarget target(String resource) {
    return WriteSchema.require(targets, catalog, resource);
  }

  // ---- bulk (a JSON array, buffered) ----

  private Future<Buffer> bulk(DataRequest req) {
    WriteTarget t = target(req.resource());
    t.requireInsertable();
    ConflictMode mode = ConflictMode.parse(req.param(WriteRequest.ON_CONFLICT));
    List<WriteTarget.Column> conflictKey = t.conflictKey(req.param(WriteRequest.CONFLICT_KEY));
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    List<Row> rows = readRows(t, req.tenant(), req.body(), settings.maxRows());
    byte[] hash = key == null ? null : Idempotency.hash("bulk", t.name(), req.query(), req.body());
    return transact(req.tenant(), key, hash, (conn, changes) -> newWriter(t, req.tenant(), mode, conflictKey, conn, changes, -1)
        .writeAll(rows).map(JsonObject::toBuffer));
  }

  /** Parses and validates every row of a JSON array before anything is written. */
  private static List<Row> readRows(WriteTarget t, long tenant, Buffer body, int maxRows) {
    RowReader reader = new RowReader(t, tenant);
    List<Row> rows = new ArrayList<>();
    JsonInput.parseArray(body, maxRows, (json, i) -> {
      if (reader.full()) return;
      Row r = reader.read(i, 0, json);
      if (r != null) rows.add(r);
    });
    if (reader.failed()) throw reader.failure();
    return rows;
  }

  private static List<Row> readRows(WriteTarget t, long tenant, JsonArray array) {
    RowReader reader = new RowReader(t, tenant);
    List<Row> rows = new ArrayList<>(array.size());
    for (int i = 0; i < array.size() && !reader.full(); i++) {
      Row r = reader.read(i, 0, array.getValue(i));
      if (r != null) rows.add(r);
    }
    if (reader.failed()) throw reader.failure();
    return rows;
  }

  BulkWriter newWriter(WriteTarget t, long tenant, ConflictMode mode, List<WriteTarget.Column> conflictKey,
                       SqlConnection conn, Changes changes, int operation) {
    return new BulkWriter(t, tenant, mode, conflictKey, conn, sqls, changes, settings.chunkRows(), settings.chunkBytes(),
        operation);
  }

  // ---- patch and delete ----

  private Future<Buffer> patch(DataRequest req) {
    WriteTarget t = target(req.resource());
    Filters filters = Filters.parse(t.resource, filterQuery(req), WriteRequest.NOT_FILTERS);
    Map<WriteTarget.Column, Object> set = new RowReader(t, req.tenant()).readPatch(JsonInput.parseValue(req.body()));
    Mutations.Plan plan = Mutations.patch(t, req.tenant(), filters, set, settings.changeIdsCap());
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    byte[] hash = key == null ? null : Idempotency.hash("patch", t.name(), req.query(), req.body());
    return statement(req.tenant(), key, hash, (conn, changes) -> Mutations.run(conn, plan, changes, -1)
        .map(n -> new JsonObject().put("updated", n).toBuffer()));
  }

  private Future<Buffer> delete(DataRequest req) {
    WriteTarget t = target(req.resource());
    Filters filters = Filters.parse(t.resource, filterQuery(req), WriteRequest.NOT_FILTERS);
    Mutations.Plan plan = Mutations.delete(t, req.tenant(), filters, settings.changeIdsCap());
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    byte[] hash = key == null ? null : Idempotency.hash("delete", t.name(), req.query(), null);
    return statement(req.tenant(), key, hash, (conn, changes) -> Mutations.run(conn, plan, changes, -1)
        .map(n -> new JsonObject().put("deleted", n).toBuffer()));
  }

  /**
   * The filters of a patch or delete. A bus message's {@code id} field is taken by the envelope (the
   * point read's id), so there it is the filter on the {@code id} field, as in the HTTP query.
   */
  private static JsonObject filterQuery(DataRequest req) {
    if (req.id() == null || req.query().containsKey("id")) return req.query();
    return req.query().copy().put("id", req.id());
  }

  // ---- batch: bulk, patch and delete across resources, one transaction ----

  /** One planned operation of a batch: it runs in the batch's transaction and gives its result object. */
  private interface Step extends BiFunction<SqlConnection, Changes, Future<JsonObject>> {}

  private Future<Buffer> batch(DataRequest req) {
    Object body = JsonInput.parseValue(req.body());
    JsonArray ops = body instanceof JsonObject o ? o.getJsonArray("operations") : null;
    if (ops == null || ops.isEmpty()) {
      throw ApiError.badRequest("The body must be {\"operations\": [{\"op\": \"bulk|patch|delete\", \"resource\": ...}, ...]}.");
    }
    if (ops.size() > settings.maxBatchOperations()) {
      throw new ApiError(413, "too_large", "A batch may hold at most " + settings.maxBatchOperations() + " operations.",
          new JsonObject().put("maxOperations", settings.maxBatchOperations()));
    }
    List<Step> steps = new ArrayList<>();
    long rows = 0;
    for (int i = 0; i < ops.size(); i++) {
      try {
        if (!(ops.getValue(i) instanceof JsonObject op)) throw ApiError.badRequest("An operation must be a JSON object.");
        int index = i;
        WriteTarget t = target(op.getString("resource"));
        String kind = String.valueOf(op.getValue("op"));
        switch (kind) {
          case "bulk" -> {
            t.requireInsertable();
            ConflictMode mode = ConflictMode.parse(stringOf(op, "onConflict"));
            List<WriteTarget.Column> conflictKey = t.conflictKey(stringOf(op, "conflictKey"));
            JsonArray array = op.getValue("rows") instanceof JsonArray a ? a : null;
            if (array == null) throw ApiError.badRequest("A bulk operation needs \"rows\": an array of objects.");
            rows += array.size();
            if (rows > settings.maxRows()) throw JsonInput.tooManyRows(settings.maxRows());
            List<Row> valid = readRows(t, req.tenant(), array);
            steps.add((conn, changes) -> newWriter(t, req.tenant(), mode, conflictKey, conn, changes, index).writeAll(valid));
          }
          case "patch", "delete" -> {
            Filters filters = filtersOf(t, op.getValue("filter"));
            Mutations.Plan plan;
            String result;
            if (kind.equals("patch")) {
              Map<WriteTarget.Column, Object> set = new RowReader(t, req.tenant()).readPatch(op.getValue("set"));
              plan = Mutations.patch(t, req.tenant(), filters, set, settings.changeIdsCap());
              result = "updated";
            } else {
              plan = Mutations.delete(t, req.tenant(), filters, settings.changeIdsCap());
              result = "deleted";
            }
            steps.add((conn, changes) -> Mutations.run(conn, plan, changes, index).map(n -> new JsonObject().put(result, n)));
          }
          default -> throw ApiError.badRequest("op must be bulk, patch or delete.");
        }
      } catch (ApiError e) {
        throw inOperation(e, i);
      }
    }
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    byte[] hash = key == null ? null : Idempotency.hash("batch", "", req.query(), req.body());
    return transact(req.tenant(), key, hash, (conn, changes) -> {
      JsonArray results = new JsonArray();
      Future<Void> f = Future.succeededFuture();
      for (int i = 0; i < steps.size(); i++) {
        Step step = steps.get(i);
        int index = i;
        f = f.compose(v -> step.apply(conn, changes).map(r -> {
          results.add(r);
          return (Void) null;
        }).recover(err -> Future.failedFuture(err instanceof ApiError e ? inOperation(e, index) : err)));
      }
      return f.map(v -> new JsonObject().put("results", results).toBuffer());
    });
  }

  private static String stringOf(JsonObject op, String field) {
    Object v = op.getValue(field);
    return v == null ? null : v.toString();
  }

  /** A batch filter: the query-string form ("status=eq.new&id=in.(1,2)") or an object of field: "op.value". */
  private static Filters filtersOf(WriteTarget t, Object filter) {
    if (filter instanceof String s) return Filters.parseQueryString(t.resource, s);
    if (filter instanceof JsonObject o) return Filters.parse(t.resource, o, java.util.Set.of());
    throw ApiError.badRequest("patch and delete need a \"filter\", e.g. \"status=eq.new\" or {\"status\": \"eq.new\"}.");
  }

  /** The same error, saying which operation of the batch it belongs to. */
  private static ApiError inOperation(ApiError e, int index) {
    JsonObject details = e.details() == null ? new JsonObject() : e.details().copy();
    if (details.containsKey("operation")) return e;
    details.put("operation", index);
    return new ApiError(e.status(), e.code(), "Operation " + index + ": " + e.getMessage(), details);
  }

  // ---- the transaction around every write ----

  /**
   * Runs {@code work} in one transaction, with the Idempotency-Key claimed first when there is one;
   * a repeat gets the stored response (and writes nothing). The change events go out only after the
   * commit succeeded.
   */
  Future<Buffer> transact(long tenant, String key, byte[] hash, BiFunction<SqlConnection, Changes, Future<Buffer>> work) {
    Changes changes = new Changes(settings.changeIdsCap());
    return Tx.run(pool, conn -> Database.localSettings(conn, config.pg()).compose(v -> {
      if (key == null) return work.apply(conn, changes);
      return Idempotency.claim(conn, tenant, key, settings.idempotencyTtlSeconds()).compose(claim -> claim.owned()
          ? work.apply(conn, changes).compose(body -> Idempotency.complete(conn, tenant, key, hash, body).map(body))
          : Future.succeededFuture(claim.replay(hash)));
    })).compose(body -> changes.publish(vertx.eventBus(), fence).map(body));
  }

  /**
   * A write that is one statement (a patch or a delete) needs no transaction block of its own: in
   * autocommit the statement is atomic all the same, and it saves the BEGIN and COMMIT round trips.
   * With an Idempotency-Key the claim must commit together with the write, so it takes
   * {@link #transact}.
   */
  private Future<Buffer> statement(long tenant, String key, byte[] hash,
                                   BiFunction<SqlConnection, Changes, Future<Buffer>> work) {
    if (key != null) return transact(tenant, key, hash, work);
    Changes changes = new Changes(settings.changeIdsCap());
    return pool.withConnection(conn -> work.apply(conn, changes))
        .compose(body -> changes.publish(vertx.eventBus(), fence).map(body));
  }

  // ---- NDJSON streams ----

  private void openStream(Message<DataRequest> msg) {
    Future<String> opened;
    try {
      opened = BulkSession.open(this, msg.body());
    } catch (RuntimeException e) {
      opened = Future.failedFuture(e);
    }
    opened.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("session", ar.result()));
      } else {
        ApiError e = ErrorMapper.map(ar.cause());
        msg.fail(e.status(), e.toJson().encode());
      }
    });
  }

  io.vertx.core.Vertx vertx() {
    return vertx;
  }
}
