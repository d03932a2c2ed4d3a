package dev.sluice.write;

import dev.sluice.catalog.WriteTarget;
import dev.sluice.catalog.ResourceSpec.VectorSpec;
import dev.sluice.embed.Embeddings;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embeddings on write: fills a vector column from its {@code source} text column (the catalog's
 * {@code resources.<name>.vectors.<column>.source}) when a row gives the text but no vector. A
 * chunk's texts are embedded together, in batches on the embedding worker pool, just before the
 * chunk is written, so an NDJSON import keeps its one-chunk-at-a-time memory bound. A row that
 * sends its own vector keeps it.
 */
final class EmbeddingFill {
  private record Derived(WriteTarget.Column vector, WriteTarget.Column source, String model) {}

  private final Embeddings embeddings;
  private final List<Derived> derived;

  private EmbeddingFill(Embeddings embeddings, List<Derived> derived) {
    this.embeddings = embeddings;
    this.derived = derived;
  }

  /** The fill of a target: nothing to do when none of its vector columns has a source (or there is no model service). */
  static EmbeddingFill of(WriteTarget t, Embeddings embeddings) {
    List<Derived> derived = new ArrayList<>();
    for (VectorSpec spec : t.resource.vectors().values()) {
      if (spec.source() == null || embeddings == null) continue;
      derived.add(new Derived(t.byName.get(spec.column()), t.byName.get(spec.source()), spec.model()));
    }
    return new EmbeddingFill(embeddings, List.copyOf(derived));
  }

  /** Whether {@code vector} is filled from a source the row gives (so the vector is not required there). */
  static boolean fromSource(WriteTarget t, WriteTarget.Column vector, io.vertx.core.json.JsonObject row) {
    VectorSpec spec = t.resource.vectors().get(vector.name());
    return spec != null && spec.source() != null && row.getValue(spec.source()) instanceof String;
  }

  /** The rows with their derived vectors filled in (the same list when none needs one). */
  Future<List<InputRow>> rows(List<InputRow> rows) {
    Future<List<InputRow>> f = Future.succeededFuture(rows);
    for (Derived d : derived) f = f.compose(current -> fill(d, current));
    return f;
  }

  private Future<List<InputRow>> fill(Derived d, List<InputRow> rows) {
    List<Integer> at = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      InputRow r = rows.get(i);
      if ((r.mask() & d.vector().bit()) == 0 && r.values()[d.source().index()] instanceof String text) {
        at.add(i);
        texts.add(text);
      }
    }
    if (texts.isEmpty()) return Future.succeededFuture(rows);
    return embeddings.embedAll(d.model(), texts).map(vectors -> {
      List<InputRow> out = new ArrayList<>(rows);
      for (int j = 0; j < at.size(); j++) {
        InputRow r = out.get(at.get(j));
        r.values()[d.vector().index()] = pgText(vectors.get(j));
        out.set(at.get(j), new InputRow(r.index(), r.line(), r.mask() | d.vector().bit(), r.values()));
      }
      return out;
    });
  }

  /** pgvector's text form of a vector, as the write path binds vectors: the same text as a JSON array. */
  private static String pgText(float[] v) {
    return dev.sluice.vector.VectorFiles.json(v);
  }

  /** A PATCH's SET list with the vectors of the source texts it changes (unless it sets the vector too). */
  Future<Map<WriteTarget.Column, Object>> patch(Map<WriteTarget.Column, Object> set) {
    Future<Map<WriteTarget.Column, Object>> f = Future.succeededFuture(set);
    for (Derived d : derived) {
      if (set.containsKey(d.vector()) || !(set.get(d.source()) instanceof String text)) continue;
      f = f.compose(current -> embeddings.embedAll(d.model(), List.of(text)).map(vs -> {
        Map<WriteTarget.Column, Object> out = new LinkedHashMap<>(current);
        out.put(d.vector(), pgText(vs.get(0)));
        return out;
      }));
    }
    return f;
  }
}
