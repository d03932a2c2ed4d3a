package dev.sluice.embed;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The embedding models a catalog may name, and their output dimensions (checked against each
 * vector column's declared dimensions at start). Models run in-process through langchain4j's
 * ONNX Runtime binding, the model file and its tokenizer inside the jar, so no service and no
 * download is needed. all-MiniLM-L6-v2 is the model the debian-minilm data set was embedded with.
 */
public final class EmbeddingModels {
  /** A loaded model: embeds a batch of texts into L2-normalised float vectors. Blocking; call from a worker. */
  public interface Model {
    List<float[]> embed(List<String> texts);
  }

  private record Known(int dimensions, Supplier<EmbeddingModel> loader) {}

  // Runnable::run keeps a batch on the calling worker thread: langchain4j would otherwise spread a
  // batch over a thread pool of its own, outside our bounded worker pool.
  private static final Map<String, Known> KNOWN = Map.of(
      "all-minilm-l6-v2", new Known(384, () -> new AllMiniLmL6V2EmbeddingModel(Runnable::run)));

  private EmbeddingModels() {}

  /** The dimensions of a known model's vectors, or null for an unknown name. */
  public static Integer dimensions(String name) {
    Known k = KNOWN.get(name);
    return k == null ? null : k.dimensions();
  }

  public static String names() {
    return String.join(", ", new TreeSet<>(KNOWN.keySet()));
  }

  /** Loads a model (reads the ONNX file from the jar: blocking, about a second). */
  public static Model load(String name) {
    Known k = KNOWN.get(name);
    if (k == null) throw new IllegalArgumentException("unknown embedding model " + name);
    EmbeddingModel model = k.loader().get();
    return texts -> {
      List<TextSegment> segments = new ArrayList<>(texts.size());
      texts.forEach(t -> segments.add(TextSegment.from(t)));
      List<Embedding> out = model.embedAll(segments).content();
      List<float[]> vectors = new ArrayList<>(out.size());
      for (Embedding e : out) vectors.add(normalised(e.vector()));
      return vectors;
    };
  }

  /**
   * L2-normalised again in double precision, as the data set's vectors were: the model's own
   * normalisation is in float, and this makes text queries the exact counterparts of its vectors.
   */
  static float[] normalised(float[] v) {
    double sum = 0;
    for (float x : v) sum += (double) x * x;
    double norm = Math.sqrt(sum);
    if (norm == 0) return v;
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / norm);
    return out;
  }
}
