package dev.sluice.write;

import dev.sluice.catalog.WriteSchema;
import dev.sluice.catalog.WriteTarget;
import dev.sluice.sql.ConflictMode;
import dev.sluice.sql.InsertSql;
import dev.sluice.admission.WriteAdmission;
import dev.sluice.auth.ApiKeys;
import dev.sluice.bus.Addresses;
import dev.sluice.bus.BusService;
import dev.sluice.bus.DataRequest;
import dev.sluice.catalog.Catalog;
import dev.sluice.config.SluiceConfig;
import dev.sluice.embed.Embeddings;
import dev.sluice.data.Database;
import dev.sluice.sql.Filters;
import dev.sluice.sql.MutationSql;
import dev.sluice.sql.Selection;
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
import java.util.function.Function;
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
  /** NDJSON uploads' connections: a pool of their own, shared by the write verticles (writes.uploadPoolSize). */
  Pool uploads;
  private WriteAdmission admission;
  /** The resources as writes see them, built once by the gateway from its schema snapshot (immutable, shared). */
  private final Map<String, WriteTarget> targets;
  private long cleanupTimer = -1;
  private final ReplicaSet replicas;
  CommitFence fence;

  private final Embeddings embeddings;

  public WriteVerticle(SluiceConfig config, Catalog catalog, Map<String, WriteTarget> targets, ReplicaSet replicas,
                       Embeddings embeddings) {
    this.embeddings = embeddings;
    this.targets = targets;
    this.config = config;
    this.settings = config.writes();
    this.catalog = catalog;
    this.replicas = replicas;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.pg(), settings.poolSize(), "sluice-writes");
    uploads = Database.sharedPool(vertx, config.pg(), settings.admission().uploadPoolSize(), "sluice-uploads");
    admission = WriteAdmission.of(vertx, settings.admission());
    EventBus bus = vertx.eventBus();
    fence = new CommitFence(replicas, pool, bus);
    ApiKeys keys = config.apiKeys();
    return Future.all(
            BusService.serve(bus, Addresses.BULK, keys, admitted(this::bulk)),
            BusService.serve(bus, Addresses.PATCH, keys, admitted(this::patch)),
            BusService.serve(bus, Addresses.DELETE, keys, admitted(this::delete)),
            BusService.serve(bus, Addresses.BATCH, keys, admitted(this::batch)),
            bus.<DataRequest>localConsumer(BulkSession.OPEN, this::openStream).completion())
        .onSuccess(v -> {
          cleanup();
          cleanupTimer = vertx.setPeriodic(CLEANUP_EVERY_MS, id -> cleanup());
        });
  }

  @Override
  public Future<?> stop() {
    if (cleanupTimer >= 0) vertx.cancelTimer(cleanupTimer);
    return Future.all(pool == null ? Future.succeededFuture() : pool.close(),
        uploads == null ? Future.succeededFuture() : uploads.close());
  }

  /**
   * Bus writes from other consumers count against their tenant's share of the node, like HTTP
   * writes (which the HTTP verticle admitted already: local requests pass straight through).
   */
  private Function<DataRequest, Future<Buffer>> admitted(Function<DataRequest, Future<Buffer>> op) {
    return req -> {
      if (req.local()) return op.apply(req);
      WriteAdmission.Permit permit = admission.admit(null, req.tenant(), false);
      try {
        return op.apply(req).onComplete(ar -> permit.release());
      } catch (RuntimeException e) {
        permit.release();
        throw e;
      }
    };
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

  /** The target of a write to {@code resource}, if the caller's role may write it (403 otherwise). */
  WriteTarget writable(DataRequest req, String resource) {
    WriteTarget t = target(resource);
    t.requireWritableBy(req.role());
    return t;
  }

  // ---- bulk (a JSON array, buffered) ----

  private Future<Buffer> bulk(DataRequest req) {
    WriteTarget t = writable(req, req.resource());
    t.requireInsertable();
    ConflictMode mode = ConflictMode.parse(req.param(WriteRequest.ON_CONFLICT));
    List<WriteTarget.Column> conflictKey = t.conflictKey(req.param(WriteRequest.CONFLICT_KEY));
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    List<InputRow> rows = readRows(t, req.tenant(), req.body(), settings.maxRows());
    byte[] hash = key == null ? null : Idempotency.hash("bulk", t.name(), req.query(), req.body());
    Selection returning = returning(t, req);
    return transact(req.tenant(), key, hash, (conn, changes) -> {
      BulkWriter writer = newWriter(t, req.tenant(), mode, conflictKey, conn, changes, -1);
      if (returning == null) return writer.writeAll(rows).map(JsonObject::toBuffer);
      return writer.collectWritten().writeAll(rows).compose(result -> Written.read(conn, t, req.tenant(), returning,
          writer.writtenKeys()).map(data -> result.put("data", data).toBuffer()));
    });
  }

  /** Parses and validates every row of a JSON array before anything is written. */
  private static List<InputRow> readRows(WriteTarget t, long tenant, Buffer body, int maxRows) {
    RowReader reader = new RowReader(t, tenant);
    List<InputRow> rows = new ArrayList<>();
    JsonInput.parseArray(body, maxRows, (json, i) -> {
      if (reader.full()) return;
      InputRow r = reader.read(i, 0, json);
      if (r != null) rows.add(r);
    });
    if (reader.failed()) throw reader.failure();
    return rows;
  }

  private static List<InputRow> readRows(WriteTarget t, long tenant, JsonArray array) {
    RowReader reader = new RowReader(t, tenant);
    List<InputRow> rows = new ArrayList<>(array.size());
    for (int i = 0; i < array.size() && !reader.full(); i++) {
      InputRow r = reader.read(i, 0, array.getValue(i));
      if (r != null) rows.add(r);
    }
    if (reader.failed()) throw reader.failure();
    return rows;
  }

  BulkWriter newWriter(WriteTarget t, long tenant, ConflictMode mode, List<WriteTarget.Column> conflictKey,
                       SqlConnection conn, Changes changes, int operation) {
    return new BulkWriter(t, tenant, mode, conflictKey, conn, sqls, changes, settings.chunkRows(), settings.chunkBytes(),
        operation, EmbeddingFill.of(t, embeddings));
  }

  // ---- patch and delete ----

  private Future<Buffer> patch(DataRequest req) {
    WriteTarget t = writable(req, req.resource());
    Filters filters = Filters.parse(t.resource, filterQuery(req), WriteRequest.NOT_FILTERS);
    Map<WriteTarget.Column, Object> given = new RowReader(t, req.tenant()).readPatch(JsonInput.parseValue(req.body()));
    Selection returning = returning(t, req);
    MutationSql.patch(t, req.tenant(), filters, given, settings.changeIdsCap(), returning); // validates before any embedding
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    byte[] hash = key == null ? null : Idempotency.hash("patch", t.name(), req.query(), req.body());
    return EmbeddingFill.of(t, embeddings).patch(given).compose(set -> {
      MutationSql.Plan plan = MutationSql.patch(t, req.tenant(), filters, set, settings.changeIdsCap(), returning);
      return statement(req.tenant(), key, hash, (conn, changes) -> Mutations.run(conn, plan, changes, -1)
          .map(o -> o.body("updated").toBuffer()));
    });
  }

  private Future<Buffer> delete(DataRequest req) {
    WriteTarget t = writable(req, req.resource());
    Filters filters = Filters.parse(t.resource, filterQuery(req), WriteRequest.NOT_FILTERS);
    MutationSql.Plan plan = MutationSql.delete(t, req.tenant(), filters, settings.changeIdsCap(), returning(t, req));
    String key = Idempotency.validKey(req.param(WriteRequest.IDEMPOTENCY_KEY));
    byte[] hash = key == null ? null : Idempotency.hash("delete", t.name(), req.query(), null);
    return statement(req.tenant(), key, hash, (conn, changes) -> Mutations.run(conn, plan, changes, -1)
        .map(o -> o.body("deleted").toBuffer()));
  }

  /**
   * {@code return=representation} (HTTP: {@code Prefer: return=representation}): the fields of the
   * written rows to answer with, {@code select} as in reads; null for {@code minimal} (the default).
   */
  private Selection returning(WriteTarget t, DataRequest req) {
    String mode = req.param(WriteRequest.RETURN);
    if (mode == null || mode.equals("minimal")) return null;
    if (!mode.equals("representation")) throw ApiError.badRequest("return must be representation or minimal.");
    return Selection.parse(catalog, t.resource, req.param(WriteRequest.SELECT));
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
    JsonArray ops = body instanceof JsonObject o && o.getValue("operations") instanceof JsonArray a ? a : null;
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
        WriteTarget t = writable(req, DataRequest.field(op, "resource", String.class));
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
            List<InputRow> valid = readRows(t, req.tenant(), array);
            steps.add((conn, changes) -> newWriter(t, req.tenant(), mode, conflictKey, conn, changes, index).writeAll(valid));
          }
          case "patch", "delete" -> {
            Filters filters = filtersOf(t, op.getValue("filter"));
            MutationSql.Plan plan;
            if (kind.equals("patch")) {
              Map<WriteTarget.Column, Object> set = new RowReader(t, req.tenant()).readPatch(op.getValue("set"));
              MutationSql.patch(t, req.tenant(), filters, set, settings.changeIdsCap(), null); // validates before any embedding
              EmbeddingFill fill = EmbeddingFill.of(t, embeddings);
              steps.add((conn, changes) -> fill.patch(set)
                  .compose(full -> Mutations.run(conn, MutationSql.patch(t, req.tenant(), filters, full, settings.changeIdsCap(), null),
                      changes, index))
                  .map(o -> o.body("updated")));
            } else {
              plan = MutationSql.delete(t, req.tenant(), filters, settings.changeIdsCap(), null);
              steps.add((conn, changes) -> Mutations.run(conn, plan, changes, index).map(o -> o.body("deleted")));
            }
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
        ErrorMapper.fail(msg, ar.cause());
      }
    });
  }

  io.vertx.core.Vertx vertx() {
    return vertx;
  }
}
