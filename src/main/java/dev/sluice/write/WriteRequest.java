package dev.sluice.write;

import java.util.Set;

/** The parameters of write requests beyond the filters, as HTTP query parameters and bus message fields. */
public final class WriteRequest {
  /** The Idempotency-Key header, carried in the request's query (HTTP) or as a field (bus). */
  public static final String IDEMPOTENCY_KEY = "idempotencyKey";
  static final String ON_CONFLICT = "onConflict";
  static final String CONFLICT_KEY = "conflictKey";
  /**
   * {@code representation} or {@code minimal} (the default): whether the written rows come back. HTTP sets it
   * from {@code Prefer: return=...}; on the bus it is a field of the message.
   */
  public static final String RETURN = "return";
  /** The fields of the rows return=representation brings back, as a read's {@code select}. */
  static final String SELECT = "select";
  /** Query parameters of PATCH and DELETE that are not filters. */
  static final Set<String> NOT_FILTERS = Set.of(IDEMPOTENCY_KEY, RETURN, SELECT);

  private WriteRequest() {}
}
