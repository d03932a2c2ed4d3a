package dev.sluice.demo;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads the debian-minilm data set (docs.jsonl.gz + docs.fvecs, row i of one is row i of the
 * other) in batches, or the sample of its texts the jar carries ({@link #SAMPLE}: every 20th
 * document, 2,970 of them, ids ≡ 2 mod 20, no vectors: the write path embeds them). Blocking I/O:
 * call {@link #next} only from a worker (executeBlocking).
 */
public final class DocumentFiles implements AutoCloseable {
  /** One document as a row of the bulk write path: the data set's own id, its fields, the embedding as floats. */
  public record Doc(long id, String pkg, String section, String text, float[] vector) {
    public JsonObject toJson() {
      if (vector == null) return new JsonObject().put("id", id).put("package", pkg).put("section", section).put("text", text);
      JsonArray v = new JsonArray(new java.util.ArrayList<>(vector.length));
      for (float f : vector) v.add(f);
      return new JsonObject().put("id", id).put("package", pkg).put("section", section).put("text", text)
          .put("embedding", v);
    }
  }

  private final BufferedReader json;
  private final DataInputStream vectors;
  private final int limit;
  private int read;

  /** The bundled sample of the data set's texts (a classpath resource, so a bare clone and the jar have it). */
  public static final String SAMPLE = "demo/documents-sample.jsonl.gz";

  private DocumentFiles(InputStream jsonGz, InputStream fvecs, int limit) throws IOException {
    InputStream gz = new GZIPInputStream(jsonGz, 1 << 16);
    this.json = new BufferedReader(new InputStreamReader(gz, StandardCharsets.UTF_8), 1 << 16);
    this.vectors = fvecs == null ? null : new DataInputStream(new BufferedInputStream(fvecs, 1 << 16));
    this.limit = limit <= 0 ? Integer.MAX_VALUE : limit;
  }

  public static boolean present(Path dir) {
    return Files.isReadable(dir.resolve("docs.jsonl.gz")) && Files.isReadable(dir.resolve("docs.fvecs"));
  }

  public static DocumentFiles open(Path dir, int limit) throws IOException {
    return new DocumentFiles(Files.newInputStream(dir.resolve("docs.jsonl.gz")), Files.newInputStream(dir.resolve("docs.fvecs")),
        limit);
  }

  /** The bundled sample: texts only, the first {@code limit} of them (0 = all). */
  public static DocumentFiles openSample(int limit) throws IOException {
    InputStream in = DocumentFiles.class.getClassLoader().getResourceAsStream(SAMPLE);
    if (in == null) throw new IOException(SAMPLE + " is not on the classpath");
    return new DocumentFiles(in, null, limit);
  }

  /** Up to n documents; an empty list at the end. */
  public List<Doc> next(int n) throws IOException {
    List<Doc> out = new ArrayList<>(n);
    byte[] dimBytes = new byte[4];
    while (out.size() < n && read < limit) {
      String line = json.readLine();
      if (line == null) break;
      JsonObject o = new JsonObject(line);
      if (vectors == null) {
        out.add(new Doc(o.getLong("id"), o.getString("package"), o.getString("section"), o.getString("text"), null));
        read++;
        continue;
      }
      vectors.readFully(dimBytes);
      int dim = ByteBuffer.wrap(dimBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
      byte[] raw = new byte[dim * 4];
      vectors.readFully(raw);
      ByteBuffer fb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
      float[] v = new float[dim];
      for (int j = 0; j < dim; j++) v[j] = fb.getFloat();
      out.add(new Doc(o.getLong("id"), o.getString("package"), o.getString("section"), o.getString("text"), v));
      read++;
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    try (json; DataInputStream v = vectors) {
      // both closed
    }
  }
}
