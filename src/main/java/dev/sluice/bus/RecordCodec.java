package dev.sluice.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * The codec of Sluice's bus records. In-process, {@code transform} hands over the same immutable
 * record: no copy, no serialisation. Across JVMs (the clustered event bus) a record travels as
 * one version byte followed by its JSON form:
 * <pre>
 *   byte 0      codec version, currently 1
 *   bytes 1..n  UTF-8 JSON: DataRequest {"resource","tenant","id","query","body","noCache","role"}
 *                           DataReply   {"json","cache"}
 * </pre>
 * A node that receives a version it does not know fails the message instead of guessing, so
 * nodes of different versions in one cluster fail loudly.
 */
public final class RecordCodec<T> implements MessageCodec<T, T> {
  static final byte VERSION = 1;

  private final String name;
  private final Function<T, JsonObject> toJson;
  private final Function<JsonObject, T> fromJson;

  private RecordCodec(Class<T> type, Function<T, JsonObject> toJson, Function<JsonObject, T> fromJson) {
    this.name = "sluice-" + type.getSimpleName() + "-v" + VERSION;
    this.toJson = toJson;
    this.fromJson = fromJson;
  }

  /** Registers the codec as the default for each record type that crosses the bus. */
  public static void registerAll(EventBus bus) {
    register(bus, DataRequest.class, RecordCodec::requestJson, RecordCodec::request);
    register(bus, DataReply.class, r -> new JsonObject().put("json", r.json().toString()).put("cache", r.cache()),
        j -> new DataReply(Buffer.buffer(j.getString("json")), j.getString("cache")));
    register(bus, dev.sluice.write.StreamChunk.class, dev.sluice.write.StreamChunk::toJson, dev.sluice.write.StreamChunk::fromJson);
  }

  private static <T> void register(EventBus bus, Class<T> type, Function<T, JsonObject> to, Function<JsonObject, T> from) {
    try {
      bus.registerDefaultCodec(type, new RecordCodec<>(type, to, from));
    } catch (IllegalStateException alreadyRegistered) {
      // several gateways in one Vert.x share the bus; one registration is enough
    }
  }

  private static JsonObject requestJson(DataRequest r) {
    return new JsonObject().put("resource", r.resource()).put("tenant", r.tenant()).put("id", r.id())
        .put("query", r.query()).put("body", r.body() == null ? null : r.body().toString()).put("noCache", r.noCache())
        .put("role", r.role().name());
  }

  private static DataRequest request(JsonObject j) {
    String body = j.getString("body");
    return new DataRequest(j.getString("resource"), j.getLong("tenant"), j.getString("id"), j.getJsonObject("query"),
        body == null ? null : Buffer.buffer(body), true, j.getBoolean("noCache", false),
        dev.sluice.auth.Role.valueOf(j.getString("role", "WRITER")));
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    Buffer json = toJson.apply(t).toBuffer();
    buffer.appendInt(json.length() + 1).appendByte(VERSION).appendBuffer(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    byte version = buffer.getByte(pos + 4);
    if (version != VERSION) {
      throw new IllegalStateException(name + ": cannot read codec version " + version + "; this node speaks " + VERSION);
    }
    return fromJson.apply(new JsonObject(buffer.getBuffer(pos + 5, pos + 4 + length)));
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
