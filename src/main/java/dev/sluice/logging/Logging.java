package dev.sluice.logging;

import org.slf4j.bridge.SLF4JBridgeHandler;

import java.util.Map;
import java.util.Set;

/**
 * Start-up of the logs: routes java.util.logging (Sluice's own loggers, Vert.x, Hazelcast) into
 * SLF4J and logback (src/main/resources/logback.xml) instead of rewriting every logger, and checks
 * the format chosen by SLUICE_LOG_FORMAT before anything is logged.
 */
public final class Logging {
  /** The environment variable (or system property) that picks logback.xml's appender. */
  public static final String FORMAT_VARIABLE = "SLUICE_LOG_FORMAT";
  static final Set<String> FORMATS = Set.of("text", "json");

  private Logging() {}

  /**
   * The chosen format ("text" unless set), or an exception naming the variable and the choices. The
   * system property wins over the environment, as in logback's own variable lookup.
   */
  public static String format(Map<String, String> env, String property) {
    String value = property != null ? property : env.get(FORMAT_VARIABLE);
    if (value == null || value.isEmpty()) return "text";
    if (!FORMATS.contains(value)) {
      throw new IllegalArgumentException(FORMAT_VARIABLE + ": must be text or json, not '" + value + "'");
    }
    return value;
  }

  /** Checks the format and installs the bridge once; call before the first log line. */
  public static void install() {
    format(System.getenv(), System.getProperty(FORMAT_VARIABLE));
    if (SLF4JBridgeHandler.isInstalled()) return;
    // JUL's root handler would print every record a second time, in its two-line format.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }
}
