package dev.sluice.data;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Same-turn reads: identical reads of one event-loop turn run once, at its end; later ones run anew")
class SameTurnReadsTest {
  static Vertx vertx;
  static Context context;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  /** Runs {@code body} in one turn of the context's event loop and waits for the futures it returns. */
  static List<String> inOneTurn(java.util.function.Supplier<List<Future<String>>> body) throws Exception {
    CompletableFuture<List<String>> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<String>> fs = body.get();
      Future.all(fs).onComplete(ar -> {
        List<String> out = new ArrayList<>();
        for (Future<String> f : fs) out.add(f.succeeded() ? f.result() : "failed: " + f.cause().getMessage());
        done.complete(out);
      });
    });
    return done.get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the same key twice in a turn loads once, after both asked; other keys load on their own")
  void collapsesWithinATurn() throws Exception {
    SameTurnReads<String> reads = new SameTurnReads<>(context);
    AtomicInteger loads = new AtomicInteger();
    List<String> order = new ArrayList<>();
    List<String> got = inOneTurn(() -> {
      List<Future<String>> fs = new ArrayList<>();
      fs.add(reads.read("a", () -> { order.add("load a"); return Future.succeededFuture("A" + loads.incrementAndGet()); }));
      fs.add(reads.read("a", () -> { throw new AssertionError("joined, never loaded"); }));
      fs.add(reads.read("b", () -> { order.add("load b"); return Future.succeededFuture("B" + loads.incrementAndGet()); }));
      order.add("turn ends");
      return fs;
    });
    assertEquals("A1", got.get(0));
    assertEquals("A1", got.get(1));
    assertTrue(got.get(2).startsWith("B"));
    assertEquals(2, loads.get());
    assertEquals("turn ends", order.get(0), "statements go out after every request of the turn arrived: " + order);
  }

  @Test
  @DisplayName("a read in a later turn never joins one already sent; failures reach every joined read")
  void laterTurnsLoadAgainAndFailuresAreShared() throws Exception {
    SameTurnReads<String> reads = new SameTurnReads<>(context);
    AtomicInteger loads = new AtomicInteger();
    Promise<String> slow = Promise.promise();
    CompletableFuture<Void> sent = new CompletableFuture<>();
    context.runOnContext(v -> reads.read("k", () -> {
      loads.incrementAndGet();
      sent.complete(null);
      return slow.future(); // in flight until completed below
    }));
    sent.get(10, TimeUnit.SECONDS);
    List<String> second = inOneTurn(() -> List.of(reads.read("k", () -> Future.succeededFuture("fresh" + loads.incrementAndGet()))));
    assertEquals(List.of("fresh2"), second, "the in-flight statement was not joined");
    context.runOnContext(v -> slow.complete("old"));
    List<String> failed = inOneTurn(() -> List.of(
        reads.read("x", () -> { throw new IllegalStateException("boom"); }),
        reads.read("x", () -> Future.succeededFuture("never"))));
    assertEquals(List.of("failed: boom", "failed: boom"), failed);
  }
}
