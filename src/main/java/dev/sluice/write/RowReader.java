package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.catalog.ColumnType;
import dev.sluice.catalog.ResourceSpec;
import dev.sluice.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates rows for one target and tenant before anything is written: exposed fields only, types,
 * required fields, nulls, lengths, vector dimensions, and the tenant column (filled from the
 * caller's key; a row naming another tenant is forbidden). Collects up to {@link #MAX_ERRORS}
 * errors so a client can fix a whole file at once.
 */
final class RowReader {
  static final int MAX_ERRORS = 100;

  private final WriteTarget target;
  private final long tenant;
  private final Object tenantValue;
  private final List<RowError> errors = new ArrayList<>();
  private final List<RowError> forbidden = new ArrayList<>();
  private boolean unknownField;

  RowReader(WriteTarget target, long tenant) {
    this.target = target;
    this.tenant = tenant;
    this.tenantValue = target.tenant == null ? null
        : target.tenant.type() == ColumnType.INT4 ? (Object) (int) tenant : (Object) tenant;
  }

  /** A column's bound value; a zero vector is refused where the column's metric has no distance for it (cosine: 0/0). */
  private Object convert(WriteTarget.Column c, Object v) {
    Object bound = Values.convert(c, v);
    if (c.type() == ColumnType.VECTOR && Values.isZeroVector(v)) {
      ResourceSpec.VectorSpec spec = target.resource.vectors().get(c.name());
      if (spec != null && spec.metric() == ResourceSpec.Metric.COSINE) {
        throw new Values.Invalid("is a zero vector, which has no cosine distance");
      }
    }
    return bound;
  }

  /** The validated row, or null when it has errors (recorded here). */
  InputRow read(long index, long line, Object json) {
    if (!(json instanceof JsonObject o)) {
      error(index, line, null, "must be a JSON object");
      return null;
    }
    int before = errors.size() + forbidden.size();
    Object[] values = new Object[target.columns.size()];
    long mask = 0;
    for (Map.Entry<String, Object> e : o) {
      WriteTarget.Column c = target.byName.get(e.getKey());
      if (c == null || (!c.exposed() && c != target.tenant)) {
        unknownField = true;
        error(index, line, safe(e.getKey()), "is not a field of " + target.name());
        continue;
      }
      Object v = e.getValue();
      if (c == target.tenant) {
        if (!(v instanceof Integer || v instanceof Long)) error(index, line, c.name(), "expected a whole number");
        else if (((Number) v).longValue() != tenant) forbidden.add(new RowError(index, line, c.name(), "names another tenant"));
        continue; // always written from the caller's key
      }
      if (c.readOnly()) {
        error(index, line, c.name(), "is read-only");
        continue;
      }
      if (v == null) {
        if (!c.nullable()) error(index, line, c.name(), "may not be null");
        mask |= c.bit();
        continue;
      }
      try {
        values[c.index()] = convert(c, v);
        mask |= c.bit();
      } catch (Values.Invalid bad) {
        error(index, line, c.name(), bad.getMessage());
      }
    }
    for (WriteTarget.Column c : target.columns) {
      if (c.required() && c != target.tenant && (mask & c.bit()) == 0 && !o.containsKey(c.name())
          && !EmbeddingFill.fromSource(target, c, o)) {
        error(index, line, c.name(), "is required");
      }
    }
    if (target.tenant != null) {
      values[target.tenant.index()] = tenantValue;
      mask |= target.tenant.bit();
    }
    return errors.size() + forbidden.size() == before ? new InputRow(index, line, mask, values) : null;
  }

  /**
   * The SET list of a PATCH: validated values by column, in the body's order. The primary key may
   * not change; the tenant column may only name the caller's own tenant (and is then left alone).
   */
  Map<WriteTarget.Column, Object> readPatch(Object json) {
    if (!(json instanceof JsonObject o) || o.isEmpty()) {
      throw ApiError.badRequest("The body must be a JSON object of the fields to change.");
    }
    Map<WriteTarget.Column, Object> set = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : o) {
      WriteTarget.Column c = target.byName.get(e.getKey());
      Object v = e.getValue();
      if (c == null || (!c.exposed() && c != target.tenant)) {
        unknownField = true;
        error(0, 0, safe(e.getKey()), "is not a field of " + target.name());
      } else if (c == target.tenant) {
        if (!(v instanceof Integer || v instanceof Long)) error(0, 0, c.name(), "expected a whole number");
        else if (((Number) v).longValue() != tenant) forbidden.add(new RowError(0, 0, c.name(), "names another tenant"));
      } else if (c == target.primaryKey) {
        error(0, 0, c.name(), "is the primary key and cannot be changed");
      } else if (target.touchOnUpdate().contains(c.name())) {
        error(0, 0, c.name(), "is set by the gateway on every update");
      } else if (c.readOnly()) {
        error(0, 0, c.name(), "is read-only");
      } else if (v == null) {
        if (!c.nullable()) error(0, 0, c.name(), "may not be null");
        else set.put(c, null);
      } else {
        try {
          set.put(c, Values.incrementable(c.type()) && v instanceof JsonObject inc ? Values.increment(c, inc) : convert(c, v));
        } catch (Values.Invalid bad) {
          error(0, 0, c.name(), bad.getMessage());
        }
      }
    }
    if (failed()) throw failure();
    if (set.isEmpty()) throw ApiError.badRequest("There is nothing to change: name at least one field other than the tenant.");
    return set;
  }

  private void error(long index, long line, String field, String reason) {
    errors.add(new RowError(index, line, field, reason));
  }

  boolean failed() {
    return !errors.isEmpty() || !forbidden.isEmpty();
  }

  /** Enough errors to report; reading on would only make the response longer. */
  boolean full() {
    return errors.size() + forbidden.size() >= MAX_ERRORS;
  }

  /** 403 when any row names another tenant (nothing is written), else 400 with every row's errors. */
  ApiError failure() {
    if (!forbidden.isEmpty()) {
      return new ApiError(403, "forbidden", "A row names another tenant; rows are written to the caller's tenant only.",
          rowsDetails(forbidden));
    }
    JsonObject details = rowsDetails(errors);
    if (unknownField) details.put("allowed", allowed());
    RowError first = errors.get(0);
    String where = first.line() > 0 ? "line " + first.line() : "row " + first.index();
    return ApiError.validation("Invalid input: " + where + (first.field() == null ? "" : ", field '" + first.field() + "'")
        + " " + first.reason() + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : "") + ".", details);
  }

  private JsonArray allowed() {
    JsonArray a = new JsonArray();
    for (WriteTarget.Column c : target.columns) if (c.exposed() && !c.readOnly()) a.add(c.name());
    return a;
  }

  static JsonObject rowsDetails(List<RowError> rows) {
    JsonArray arr = new JsonArray();
    for (int i = 0; i < Math.min(rows.size(), MAX_ERRORS); i++) arr.add(rows.get(i).toJson());
    JsonObject d = new JsonObject().put("rows", arr);
    if (rows.size() > MAX_ERRORS) d.put("truncated", true);
    return d;
  }

  /** Echoes a client's field name only when it is plain, so errors never reflect markup or SQL. */
  static String safe(String name) {
    return name != null && name.matches("[A-Za-z0-9_\\-]{1,64}") ? name : "(invalid name)";
  }
}
