package dev.sluice.bus;

import io.vertx.core.buffer.Buffer;

/**
 * A successful reply from a data verticle: the exact JSON bytes of the HTTP response body, so the
 * HTTP verticle writes them without decoding. {@code cache} is "hit", "miss" or null (not cacheable).
 */
public record DataReply(Buffer json, String cache) {}
