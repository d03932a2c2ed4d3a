package dev.sluice.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * An in-process codec: {@code transform} hands over the same immutable record, so messages
 * between verticles of one JVM are neither copied nor serialised. It refuses the wire: records
 * travel only locally, and other JVMs use the JSON form of the addresses.
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {
  private final String name;

  private LocalCodec(Class<T> type) {
    this.name = "sluice-local-" + type.getSimpleName();
  }

  /** Registers the codec as the default for each record type that crosses the bus in-process. */
  public static void registerAll(EventBus bus) {
    register(bus, DataRequest.class);
    register(bus, DataReply.class);
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    try {
      bus.registerDefaultCodec(type, new LocalCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // several gateways in one Vert.x (tests) share the bus; one registration is enough
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    throw new UnsupportedOperationException(name + " is local only; send the JSON form across JVMs");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException(name + " is local only");
  }

  @Override
  public T transform(T t) {
    return t;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
