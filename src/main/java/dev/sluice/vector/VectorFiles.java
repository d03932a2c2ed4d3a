package dev.sluice.vector;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the TEXMEX formats of shared/data/debian-minilm: {@code .fvecs} (per row an int32
 * dimension, then that many float32) and {@code .ivecs} (per row an int32 count, then that many
 * int32 ids), little-endian. Blocking file I/O: for tools and tests, never an event loop.
 */
public final class VectorFiles {
  private VectorFiles() {}

  public static float[][] fvecs(Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int dim = in.getInt(0);
    float[][] rows = new float[in.capacity() / (4 + 4 * dim)][dim];
    for (float[] row : rows) {
      if (in.getInt() != dim) throw new IOException(file + ": a row with another dimension");
      for (int j = 0; j < dim; j++) row[j] = in.getFloat();
    }
    return rows;
  }

  public static int[][] ivecs(Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int n = in.getInt(0);
    int[][] rows = new int[in.capacity() / (4 + 4 * n)][n];
    for (int[] row : rows) {
      if (in.getInt() != n) throw new IOException(file + ": a row with another length");
      for (int j = 0; j < n; j++) row[j] = in.getInt();
    }
    return rows;
  }

  /** A vector as a JSON array text: {@code [0.1,-0.2,...]}. */
  public static String json(float[] v) {
    StringBuilder sb = new StringBuilder(v.length * 12).append('[');
    for (int i = 0; i < v.length; i++) {
      if (i > 0) sb.append(',');
      sb.append(v[i]);
    }
    return sb.append(']').toString();
  }
}
