package dev.sluice.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Request deadlines: a request unanswered by its deadline is failed with the status, answered ones are left alone")
class RequestDeadlinesTest {
  static Vertx vertx;
  static int port;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    VerticleBase server = new VerticleBase() {
      @Override
      public Future<?> start() {
        Router router = Router.router(vertx);
        RequestDeadlines deadlines = new RequestDeadlines(vertx, 200, 504);
        router.route().handler(deadlines);
        router.get("/never").handler(ctx -> { }); // never answers
        router.get("/now").handler(ctx -> ctx.response().end("ok"));
        // requests served without the router (as HotReads does): tracked, and unlinked when answered
        return vertx.createHttpServer().requestHandler(req -> {
              if (!req.path().startsWith("/raw/")) {
                router.handle(req);
                return;
              }
              RequestDeadlines.Pending p = deadlines.track(() -> req.response().setStatusCode(504).end("expired"));
              if (req.path().equals("/raw/now")) {
                p.unlink();
                req.response().end("ok");
              }
            }).listen(0, "127.0.0.1")
            .onSuccess(s -> port = s.actualPort());
      }
    };
    vertx.deployVerticle(server).await();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  private static CompletableFuture<HttpResponse<String>> get(HttpClient client, String path) {
    return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("unanswered requests get 504, each once; answered ones in between get their answer")
  void expiredRequestsFail() {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> never = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> now = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      never.add(get(client, "/never"));
      now.add(get(client, "/now"));
    }
    for (var r : now) assertEquals(200, r.join().statusCode());
    for (var r : never) assertEquals(504, r.join().statusCode());
    // the list is empty again: a new request is timed from its own start, and an answered one is not failed
    assertEquals(200, get(client, "/now").join().statusCode());
    assertEquals(504, get(client, "/never").join().statusCode());
  }

  @Test
  @DisplayName("requests tracked without the router: expired ones run their action once, unlinked ones never")
  void trackedRequests() {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> never = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> now = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      never.add(get(client, "/raw/never"));
      now.add(get(client, "/raw/now"));
      never.add(get(client, "/never")); // routed and tracked requests share one list
    }
    for (var r : now) assertEquals("ok", r.join().body());
    for (var r : never) assertEquals(504, r.join().statusCode());
  }
}
