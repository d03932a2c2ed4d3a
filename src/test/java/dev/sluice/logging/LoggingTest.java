package dev.sluice.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusUtil;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Logs: logback.xml in text and JSON, with the request id and tenant of LogContext")
class LoggingTest {

  /** What src/main/resources/logback.xml prints for one warning with a cause, in {@code format}. */
  private static String logOnce(String format) throws JoranException {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter()); // the one LogContext writes to
    context.putProperty(Logging.FORMAT_VARIABLE, format);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      configurator.doConfigure(LoggingTest.class.getResource("/logback.xml"));
      assertTrue(new StatusUtil(context).getHighestLevel(0) < Status.WARN,
          "logback.xml configures with warnings or errors: " + context.getStatusManager().getCopyOfStatusList());
      // The encoder of the console appender the format chose, writing here instead of to the console.
      ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      Appender<ILoggingEvent> chosen = root.getAppender("console");
      assertTrue(chosen instanceof ConsoleAppender, "no console appender on the root logger");
      OutputStreamAppender<ILoggingEvent> capture = new OutputStreamAppender<>();
      capture.setContext(context);
      capture.setEncoder(((ConsoleAppender<ILoggingEvent>) chosen).getEncoder());
      capture.setOutputStream(out);
      capture.start();
      root.detachAppender(chosen);
      root.addAppender(capture);
      Logger log = context.getLogger("sluice.test");
      try (LogContext ignored = LogContext.open("req-42", 7L)) {
        log.warn("database error with SQLSTATE {}", "XX000", new IllegalStateException("boom"));
      }
      log.info("after the request");
    } finally {
      context.stop();
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("json: one JSON object per line, with level, logger, message, stack trace, request id and tenant")
  void jsonIsOneObjectPerLine() throws JoranException {
    String[] lines = logOnce("json").split("\n");
    assertEquals(2, lines.length, String.join("\n", lines));
    JsonObject first = new JsonObject(lines[0]);
    assertEquals("WARN", first.getString("level"));
    assertEquals("sluice.test", first.getString("logger_name"));
    assertEquals("database error with SQLSTATE XX000", first.getString("message"));
    assertEquals("req-42", first.getString("requestId"));
    assertEquals("7", first.getString("tenant"));
    assertTrue(first.getString("stack_trace").contains("IllegalStateException: boom"), first.encode());
    JsonObject second = new JsonObject(lines[1]);
    assertFalse(second.containsKey("requestId"), "the request's MDC must not outlive its block: " + second.encode());
    assertFalse(second.containsKey("tenant"), second.encode());
  }

  @Test
  @DisplayName("text: one line per event naming the request, the stack trace below it")
  void textIsReadable() throws JoranException {
    String[] lines = logOnce("text").split("\n");
    assertTrue(lines.length > 2, String.join("\n", lines));
    assertTrue(lines[0].matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  sluice\\.test \\[.*\\] - database error with SQLSTATE XX000"),
        lines[0]);
    assertTrue(lines[0].contains("requestId=req-42") && lines[0].contains("tenant=7"), lines[0]);
    assertTrue(lines[1].contains("IllegalStateException: boom"), lines[1]);
    String last = lines[lines.length - 1];
    assertTrue(last.endsWith(" INFO  sluice.test - after the request"), last);
  }

  @Test
  @DisplayName("SLUICE_LOG_FORMAT: text by default, json on request, anything else refused with the variable's name")
  void theFormatIsChecked() {
    assertEquals("text", Logging.format(Map.of(), null));
    assertEquals("json", Logging.format(Map.of("SLUICE_LOG_FORMAT", "json"), null));
    assertEquals("text", Logging.format(Map.of("SLUICE_LOG_FORMAT", "json"), "text"), "the system property wins");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Logging.format(Map.of("SLUICE_LOG_FORMAT", "xml"), null));
    assertEquals("SLUICE_LOG_FORMAT: must be text or json, not 'xml'", e.getMessage());
  }
}
