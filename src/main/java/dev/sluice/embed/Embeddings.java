package dev.sluice.embed;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.sluice.error.ApiError;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns text into vectors with the catalog's models, for text searches and for embeddings on write.
 * Inference is blocking CPU work: it runs on the named worker pool {@code sluice-embed}
 * ({@code embedding.workers} threads), never on an event loop. Vert.x worker pools queue without
 * bound, so the queue is bounded here: at most workers + {@code embedding.queue} tasks are
 * waiting or running, and a task beyond that fails at once with 503 {@code overloaded} (the error
 * mapper adds Retry-After). Query texts go through a bounded cache (Caffeine, size-based eviction
 * close to LRU), so a repeated search does not run the model again. One instance serves every
 * verticle of a gateway: the model is loaded once, and the bound is the process's.
 *
 * <p>Metrics: {@code sluice_embedding_seconds{model,use}} (inference per task, histogram),
 * {@code sluice_embedding_cache_total{result}}, {@code sluice_embedding_rejected_total}.
 */
public final class Embeddings {
  /** What a task is for: a search's query text, or rows of a write (batches). */
  public enum Use { QUERY, WRITE }

  private final EmbeddingSettings settings;
  private final WorkerExecutor workers;
  private final Map<String, EmbeddingModels.Model> models = new ConcurrentHashMap<>();
  private final Cache<CacheKey, float[]> cache;
  private final AtomicInteger tasks = new AtomicInteger();
  private final int capacity;
  private final MeterRegistry registry;
  private final Counter hits;
  private final Counter misses;
  private final Counter rejected;

  private record CacheKey(String model, String text) {}

  private Embeddings(Vertx vertx, EmbeddingSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.workers = vertx.createSharedWorkerExecutor("sluice-embed", settings.workers());
    this.cache = Caffeine.newBuilder().maximumSize(settings.cacheEntries()).build();
    this.capacity = settings.workers() + settings.queue();
    this.registry = registry;
    this.hits = Counter.builder("sluice_embedding_cache").tag("result", "hit").register(registry);
    this.misses = Counter.builder("sluice_embedding_cache").tag("result", "miss").register(registry);
    this.rejected = Counter.builder("sluice_embedding_rejected").register(registry);
    registry.gauge("sluice_embedding_tasks", tasks);
  }

  /** Creates the service and loads {@code modelNames} on the worker pool (the start-up cost is paid here). */
  public static Future<Embeddings> start(Vertx vertx, EmbeddingSettings settings, MeterRegistry registry,
                                         Set<String> modelNames) {
    Embeddings e = new Embeddings(vertx, settings, registry);
    Future<Void> loaded = Future.succeededFuture();
    for (String name : modelNames) {
      loaded = loaded.compose(v -> e.workers.executeBlocking(() -> {
        e.models.put(name, EmbeddingModels.load(name));
        return null;
      }, false));
    }
    return loaded.map(e);
  }

  /** For the queue-bound test: a service whose only model is {@code model} under {@code name}. */
  static Embeddings withModel(Vertx vertx, EmbeddingSettings settings, MeterRegistry registry, String name,
                              EmbeddingModels.Model model) {
    Embeddings e = new Embeddings(vertx, settings, registry);
    e.models.put(name, model);
    return e;
  }

  public EmbeddingSettings settings() {
    return settings;
  }

  /** One query text's vector: from the cache, or one task on the pool. */
  public Future<float[]> embed(String model, String text) {
    CacheKey key = new CacheKey(model, text);
    float[] cached = cache.getIfPresent(key);
    if (cached != null) {
      hits.increment();
      return Future.succeededFuture(cached);
    }
    misses.increment();
    return run(model, List.of(text), Use.QUERY).map(vs -> {
      cache.put(key, vs.get(0));
      return vs.get(0);
    });
  }

  /**
   * The vectors of many texts (rows of a write), in order: batches of {@code embedding.batchSize},
   * at most {@code embedding.workers} of them at a time for one call, so a large import takes no
   * more than its share of the queue.
   */
  public Future<List<float[]>> embedAll(String model, List<String> texts) {
    int batch = settings.batchSize();
    int batches = (texts.size() + batch - 1) / batch;
    @SuppressWarnings("unchecked")
    List<float[]>[] results = new List[batches];
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < Math.min(settings.workers(), batches); lane++) {
      Future<Void> f = Future.succeededFuture();
      for (int b = lane; b < batches; b += settings.workers()) {
        int i = b;
        List<String> part = texts.subList(i * batch, Math.min(texts.size(), (i + 1) * batch));
        f = f.compose(v -> run(model, part, Use.WRITE).map(vs -> {
          results[i] = vs;
          return null;
        }));
      }
      lanes.add(f);
    }
    return Future.all(lanes).map(v -> {
      List<float[]> out = new ArrayList<>(texts.size());
      for (List<float[]> r : results) out.addAll(r);
      return out;
    });
  }

  /** One inference task on the pool, or 503 when the pool and its queue are full. */
  private Future<List<float[]>> run(String model, List<String> texts, Use use) {
    EmbeddingModels.Model m = models.get(model);
    if (m == null) return Future.failedFuture(new IllegalStateException("embedding model " + model + " is not loaded"));
    if (tasks.incrementAndGet() > capacity) {
      tasks.decrementAndGet();
      rejected.increment();
      return Future.failedFuture(ApiError.overloaded());
    }
    Timer timer = Timer.builder("sluice_embedding_seconds").tag("model", model).tag("use", use.name().toLowerCase())
        .publishPercentileHistogram().register(registry);
    // unordered: tasks of one caller's context may run side by side on the pool's threads
    return workers.executeBlocking(() -> {
      long start = System.nanoTime();
      try {
        return m.embed(texts);
      } finally {
        timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      }
    }, false).eventually(() -> {
      tasks.decrementAndGet();
      return Future.succeededFuture();
    });
  }

  /** For tests and logs. */
  @Override
  public String toString() {
    return "Embeddings" + Arrays.asList(models.keySet().toArray());
  }

  public Future<Void> close() {
    return workers.close();
  }
}
