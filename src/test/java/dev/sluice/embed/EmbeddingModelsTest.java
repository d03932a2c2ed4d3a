package dev.sluice.embed;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The in-process model makes the data set's vectors: documents 1, 2 and 42 of debian-minilm (their
 * texts and their rows of docs.fvecs, copied into a test resource) embed to the same vectors, so
 * the text preprocessing (tokenizer, pooling, normalisation) is the data set's.
 */
class EmbeddingModelsTest {
  private static EmbeddingModels.Model model;
  private static JsonArray reference;

  @BeforeAll
  static void load() throws IOException {
    model = EmbeddingModels.load("all-minilm-l6-v2");
    try (InputStream in = EmbeddingModelsTest.class.getResourceAsStream("/embed/minilm-reference.json")) {
      reference = new JsonArray(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @DisplayName("the model's vectors of three documents' texts are the data set's (cosine above 0.9999)")
  void matchesTheDataSet() {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < reference.size(); i++) texts.add(reference.getJsonObject(i).getString("text"));
    List<float[]> got = model.embed(texts);
    for (int i = 0; i < reference.size(); i++) {
      JsonObject doc = reference.getJsonObject(i);
      JsonArray want = doc.getJsonArray("vector");
      float[] v = got.get(i);
      assertEquals(384, v.length);
      double dot = 0;
      double norm = 0;
      for (int j = 0; j < v.length; j++) {
        dot += v[j] * want.getDouble(j);
        norm += (double) v[j] * v[j];
      }
      assertEquals(1.0, norm, 1e-5, "unit length");
      assertTrue(dot > 0.9999, "document " + doc.getLong("id") + ": cosine " + dot);
    }
  }

  @Test
  @DisplayName("a batch gives each text the vector it gets alone")
  void batchEqualsSingle() {
    String a = reference.getJsonObject(0).getString("text");
    String b = "transparent application fuzzer";
    List<float[]> batch = model.embed(List.of(a, b));
    assertArrayEquals(model.embed(List.of(a)).get(0), batch.get(0), 1e-5f);
    assertArrayEquals(model.embed(List.of(b)).get(0), batch.get(1), 1e-5f);
  }

  @Test
  @DisplayName("the catalog knows the model's dimensions and no others")
  void dimensions() {
    assertEquals(384, EmbeddingModels.dimensions("all-minilm-l6-v2"));
    assertNull(EmbeddingModels.dimensions("gpt-embeddings"));
  }
}
