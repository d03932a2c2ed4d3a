package dev.sluice.embed;

import dev.sluice.error.ApiError;
import dev.sluice.support.Http;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedding service's bounds, with a model that waits on a latch (so "the pool is busy" is a
 * state the test holds, not a race): the queue bound refuses with 503 at once, the cache answers a
 * repeated text without the model, and a write's batches keep their order.
 */
class EmbeddingsTest {
  private Vertx vertx;
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger calls = new AtomicInteger();
  private final CountDownLatch started = new CountDownLatch(1);

  /** A "model" whose vector of a text is [length, first char], after the latch opens. */
  private final EmbeddingModels.Model model = texts -> {
    calls.incrementAndGet();
    started.countDown();
    try {
      if (!release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    List<float[]> out = new ArrayList<>();
    for (String t : texts) out.add(new float[] {t.length(), t.charAt(0)});
    return out;
  };

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    Http.await(vertx.close());
  }

  @Test
  @DisplayName("with the worker and the queue taken, the next text is refused with 503 at once, and nothing is lost")
  void boundedQueue() throws Exception {
    Embeddings e = Embeddings.withModel(vertx, new EmbeddingSettings(1, 1, 100, 100, 8), new SimpleMeterRegistry(), "m", model);
    Future<float[]> first = e.embed("m", "alpha");
    assertTrue(started.await(60, TimeUnit.SECONDS));
    Future<float[]> queued = e.embed("m", "beta");
    Throwable refused = Http.awaitFailure(e.embed("m", "gamma"));
    assertTrue(refused instanceof ApiError, refused.toString());
    assertEquals(503, ((ApiError) refused).status());
    assertEquals("overloaded", ((ApiError) refused).code());
    assertEquals(1, ((ApiError) refused).retryAfterSeconds());
    release.countDown();
    assertEquals(5f, Http.await(first)[0]);
    assertEquals('b', (char) Http.await(queued)[1]);
    // room again once they are done
    assertEquals('g', (char) Http.await(e.embed("m", "gamma"))[1]);
  }

  @Test
  @DisplayName("a repeated query text comes from the cache without running the model")
  void cache() {
    release.countDown();
    Embeddings e = Embeddings.withModel(vertx, new EmbeddingSettings(2, 4, 100, 100, 8), new SimpleMeterRegistry(), "m", model);
    float[] a = Http.await(e.embed("m", "alpha"));
    assertEquals(1, calls.get());
    assertSame(a, Http.await(e.embed("m", "alpha")));
    assertEquals(1, calls.get());
  }

  @Test
  @DisplayName("a write's texts are embedded in batches, in order")
  void batches() {
    release.countDown();
    Embeddings e = Embeddings.withModel(vertx, new EmbeddingSettings(2, 4, 100, 100, 3), new SimpleMeterRegistry(), "m", model);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 10; i++) texts.add((char) ('a' + i) + "x".repeat(i));
    List<float[]> out = Http.await(e.embedAll("m", texts));
    assertEquals(10, out.size());
    for (int i = 0; i < 10; i++) {
      assertEquals(i + 1, (int) out.get(i)[0]);
      assertEquals('a' + i, (int) out.get(i)[1]);
    }
    assertEquals(4, calls.get(), "10 texts in batches of 3");
  }
}
