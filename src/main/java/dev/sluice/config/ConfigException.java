package dev.sluice.config;

/** A configuration problem; the message names the key and why it is wrong. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
