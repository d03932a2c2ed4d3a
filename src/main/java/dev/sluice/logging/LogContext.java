package dev.sluice.logging;

import org.slf4j.MDC;

/**
 * The request a log line is about, as MDC entries ({@code requestId}, {@code tenant}) for the
 * duration of a synchronous block: logback's text pattern and JSON encoder print them with every
 * line logged inside, including java.util.logging calls bridged on the same thread. Vert.x moves a
 * request between callbacks, so this is opened around the code that logs, never kept across an
 * asynchronous step. Only identifiers: never an API key or a value of the request.
 */
public final class LogContext implements AutoCloseable {
  public static final String REQUEST_ID = "requestId";
  public static final String TENANT = "tenant";

  private final boolean tenant;

  private LogContext(boolean tenant) {
    this.tenant = tenant;
  }

  /** Puts the request id, and the tenant when the caller is known ({@code tenant} null before authentication). */
  public static LogContext open(String requestId, Long tenant) {
    MDC.put(REQUEST_ID, requestId);
    if (tenant != null) MDC.put(TENANT, tenant.toString());
    return new LogContext(tenant != null);
  }

  @Override
  public void close() {
    MDC.remove(REQUEST_ID);
    if (tenant) MDC.remove(TENANT);
  }
}
