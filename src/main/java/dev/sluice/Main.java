package dev.sluice;

import dev.sluice.config.ConfigException;
import dev.sluice.config.ConfigLoader;
import dev.sluice.config.SluiceConfig;
import dev.sluice.metrics.Metrics;
import dev.sluice.cluster.ClusterSettings;
import dev.sluice.logging.Logging;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/** The one entry point: builds Vert.x with metrics, loads the configuration and starts the gateway. */
public final class Main {
  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  private Main() {}

  public static void main(String[] args) {
    try {
      Logging.install();
    } catch (IllegalArgumentException e) {
      System.err.println("sluice: failed to start: " + e.getMessage());
      System.exit(1);
    }
    boolean clustered = java.util.Arrays.asList(args).contains("--cluster");
    Metrics metrics = Metrics.create();
    AtomicReference<Vertx> vertxRef = new AtomicReference<>();
    AtomicReference<Gateway> running = new AtomicReference<>();
    SluiceConfig config = loadConfig();
    ClusterSettings cluster = ClusterSettings.from(config.raw().getJsonObject("cluster"));
    // Built here, on the main thread: a Vert.x built on another Vert.x's event loop warns (and shares nothing).
    Future<Vertx> built = clustered
        ? metrics.newClusteredVertx(cluster.clusterManager(), cluster.host(), config.eventLoops())
        : Future.succeededFuture(metrics.newVertx(config.eventLoops()));
    built
        .compose(v -> {
          vertxRef.set(v);
          return Gateway.start(v, config, metrics);
        })
        .onSuccess(gateway -> {
          running.set(gateway);
          printWelcome(gateway.config(), clustered);
        })
        .onFailure(err -> {
          System.err.println("sluice: failed to start: " + err);
          Vertx v = vertxRef.get();
          (v == null ? Future.succeededFuture() : v.close()).onComplete(x -> System.exit(1));
        });

    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Not an event loop: waiting here for the drain is fine.
      CountDownLatch done = new CountDownLatch(1);
      Gateway g = running.get();
      Vertx vertx = vertxRef.get();
      if (vertx == null) return;
      (g == null ? vertx.close() : g.close().eventually(vertx::close)).onComplete(ar -> done.countDown());
      try {
        if (!done.await(30, TimeUnit.SECONDS)) LOG.warning("shutdown did not finish in 30 s");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "sluice-shutdown"));
  }

  /**
   * The configuration, read with a short-lived plain Vert.x (vertx-config needs one; clustering is
   * configured by what it reads). The main thread is no event loop, so it waits for it here.
   */
  private static SluiceConfig loadConfig() {
    Vertx bootstrap = Vertx.vertx();
    try {
      return ConfigLoader.load(bootstrap, System.getenv(), null).toCompletionStage().toCompletableFuture().join();
    } catch (CompletionException e) {
      Throwable err = e.getCause() == null ? e : e.getCause();
      String why = err instanceof ConfigException ? "configuration: " + err.getMessage() : err.toString();
      System.err.println("sluice: failed to start: " + why);
      System.exit(1);
      throw e;
    } finally {
      bootstrap.close();
    }
  }

  private static void printWelcome(SluiceConfig config, boolean clustered) {
    String base = "http://127.0.0.1:" + config.http().port();
    System.out.println("""
        
        Sluice is up on %1$s%2$s
        
          curl -s %1$s/health/ready
          curl -s -H 'Authorization: Bearer demo-reader' %1$s/v1/leads/1
          curl -s -H 'Authorization: Bearer demo-reader' '%1$s/v1/leads?select=id,title,status,customer(id,name)&status=eq.new&order=created_at.desc&limit=5'
          curl -s -H 'Authorization: Bearer demo-reader' '%1$s/v1/leads?page=2&limit=10&count=exact'
          curl -s -H 'Authorization: Bearer demo-reader' '%1$s/v1/customers?select=id,name,leads(id,title)&limit=3'
          curl -s -H 'Authorization: Bearer demo-reader' '%1$s/v1/documents?text=fts.postgresql&select=id,package,section&limit=5'
          curl -s -H 'Authorization: Bearer demo-admin' %1$s/admin/slo
          curl -s %1$s/metrics | head
        
        Demo keys: demo-admin, demo-writer, demo-reader (tenant 1), demo-reader-2 (tenant 2). Ctrl-C stops.
        """.formatted(base, clustered ? " (clustered event bus)" : ""));
  }
}
