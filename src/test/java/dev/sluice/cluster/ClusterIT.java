package dev.sluice.cluster;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateway nodes and one external consumer node on the clustered event bus (Hazelcast over
 * TCP/IP on 127.0.0.1). Each node is a Vert.x instance of its own with its own Hazelcast member;
 * they share this JVM because three JVMs with Hazelcast do not fit a 2-core CI box well. One more
 * consumer runs in a JVM of its own (the LeadsPager example), so messages cross a process
 * boundary through the wire codec as they do between machines.
 */
@DisplayName("Cluster: consumers on other nodes, cross-node cache exactness, change events, a node lost mid-load")
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class ClusterIT {
  /** A cluster name of this run's own, so two test runs on one host never join each other. */
  static final ClusterSettings CLUSTER = new ClusterSettings("sluice-test-" + java.util.UUID.randomUUID(), "127.0.0.1", 5901,
      List.of("127.0.0.1:5901-5905"), null, false);
  static TestGateway nodeA;
  static TestGateway nodeB;
  static Vertx consumer;
  static BusClient client;

  @BeforeAll
  static void start() {
    nodeA = Http.await(TestGateway.start("cluster", null, List.of(), CLUSTER));
    nodeB = Http.await(TestGateway.attach(nodeA, "cluster-b", null, CLUSTER));
    consumer = Http.await(Vertx.builder().withClusterManager(CLUSTER.asLiteMember().clusterManager()).buildClustered());
    client = new BusClient(consumer, 3000, 5, 100);
  }

  @AfterAll
  static void stop() {
    if (consumer != null) Http.await(consumer.close());
    if (nodeB != null) Http.await(nodeB.close());
    if (nodeA != null) Http.await(nodeA.close());
  }

  @Test
  @DisplayName("the consumer pages through leads and reads one over the clustered bus")
  void consumerReads() {
    JsonObject page = Http.await(client.request(Addresses.READ, new JsonObject().put("resource", "leads")
        .put("apiKey", "demo-reader").put("select", "id,org_id").put("limit", 50)));
    assertEquals(50, page.getJsonArray("data").size());
    page.getJsonArray("data").forEach(o -> assertEquals(1L, ((JsonObject) o).getLong("org_id")));
    JsonObject next = Http.await(client.request(Addresses.READ, new JsonObject().put("resource", "leads")
        .put("apiKey", "demo-reader").put("select", "id,org_id").put("limit", 50).put("after", page.getString("next"))));
    assertTrue(next.getJsonArray("data").getJsonObject(0).getLong("id")
        > page.getJsonArray("data").getJsonObject(49).getLong("id"));
    JsonObject lead = Http.await(client.request(Addresses.GET, new JsonObject().put("resource", "leads")
        .put("apiKey", "demo-reader").put("id", 1)));
    assertEquals(1L, lead.getLong("id"));
  }

  @Test
  @DisplayName("a consumer in a JVM of its own (the LeadsPager example) pages through leads over the clustered bus")
  void consumerInItsOwnJvm() throws Exception {
    File log = File.createTempFile("sluice-leads-pager", ".log");
    ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), "dev.sluice.examples.LeadsPager", "demo-reader", "3")
        .redirectErrorStream(true).redirectOutput(log);
    pb.environment().put("SLUICE_CLUSTER_NAME", CLUSTER.name());
    pb.environment().put("SLUICE_CLUSTER_PORT", String.valueOf(CLUSTER.port()));
    pb.environment().put("SLUICE_CLUSTER_MEMBERS", String.join(",", CLUSTER.members()));
    Process p = pb.start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the pager finished");
      String out = Files.readString(log.toPath());
      assertEquals(0, p.exitValue(), out);
      assertEquals(3, out.lines().filter(l -> l.startsWith("page of 100 leads")).count(), out);
    } finally {
      if (p.isAlive()) p.destroyForcibly().waitFor();
      Files.deleteIfExists(log.toPath());
    }
  }

  @Test
  @DisplayName("after a write committed through node A, A never serves the old value and B stops as soon as the broadcast arrives")
  void crossNodeCache() {
    Http a = new Http(nodeA.port);
    Http b = new Http(nodeB.port);
    String path = "/v1/leads/33?select=id,title";
    a.get(path, "demo-reader");
    b.get(path, "demo-reader");
    assertEquals("hit", b.get(path, "demo-reader").header("X-Cache"));
    long deliveredBefore = deliveries(nodeB);
    assertEquals(200, a.send("PATCH", "/v1/leads?id=eq.33", "demo-writer", "application/json",
        "{\"title\": \"Changed via node A\"}").status());
    assertEquals("Changed via node A", a.get(path, "demo-reader").json().getString("title"));
    // B learns of the write by the clustered broadcast (its delivery time is the documented stale window):
    // wait for the broadcast itself, then B must answer the new value.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (deliveries(nodeB) == deliveredBefore && System.nanoTime() < deadline) {
      Http.await(io.vertx.core.Future.future(p -> nodeB.vertx.setTimer(10, t -> p.complete())));
    }
    assertTrue(deliveries(nodeB) > deliveredBefore, "node B received the invalidation broadcast");
    assertEquals("Changed via node A", b.get(path, "demo-reader").json().getString("title"));
  }

  static long deliveries(TestGateway node) {
    var t = node.registry.find("sluice.cache.invalidation.delivery").timer();
    return t == null ? 0 : t.count();
  }

  @Test
  @DisplayName("a change event published on one node reaches consumers on every node")
  void changeEventsReachEveryNode(VertxTestContext test) {
    Checkpoint reached = test.checkpoint(2);
    AtomicBoolean seenOnB = new AtomicBoolean();
    AtomicBoolean seenOnConsumer = new AtomicBoolean();
    AtomicLong timer = new AtomicLong(-1);
    List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
    Runnable seen = () -> {
      reached.flag();
      if (seenOnB.get() && seenOnConsumer.get()) {
        nodeA.vertx.cancelTimer(timer.get());
        consumers.forEach(MessageConsumer::unregister);
      }
    };
    consumers.add(nodeB.vertx.eventBus().<JsonObject>consumer(Addresses.CHANGES_PREFIX + "leads", m -> {
      if (seenOnB.compareAndSet(false, true)) seen.run();
    }));
    consumers.add(consumer.eventBus().<JsonObject>consumer(Addresses.CHANGES_PREFIX + "leads", m -> {
      if (seenOnConsumer.compareAndSet(false, true)) seen.run();
    }));
    JsonObject event = new JsonObject().put("resource", "leads").put("tenant", 1).put("op", "update")
        .put("ids", new JsonArray().add(33));
    // A new subscription reaches the other members' view of the cluster's registry a moment after it is
    // registered, so node A publishes until both have one (each counted once), rather than sleeping first.
    Future.all(consumers.get(0).completion(), consumers.get(1).completion()).onComplete(test.succeeding(v ->
        timer.set(nodeA.vertx.setPeriodic(1, 50, t -> nodeA.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads", event)))));
  }

  @Test
  @DisplayName("node B stopped mid-load: every read from the consumer still succeeds (bounded retries)")
  void nodeLostMidLoad(VertxTestContext test) {
    TestGateway.attach(nodeA, "cluster-c", null, CLUSTER).onComplete(test.succeeding(extra -> {
      List<Future<JsonObject>> calls = new ArrayList<>();
      // 200 reads, one every 5 ms (paced on a timer, not a sleeping thread); the extra node leaves after the 61st
      consumer.setPeriodic(5, timer -> {
        int i = calls.size();
        calls.add(client.request(Addresses.GET, new JsonObject().put("resource", "leads").put("apiKey", "demo-reader")
            .put("id", 1 + 4 * (i % 50)).put("noCache", true)));
        if (i == 60) extra.close();
        if (calls.size() == 200) {
          consumer.cancelTimer(timer);
          Future.all(calls).onComplete(test.succeeding(all -> test.verify(() -> {
            for (Future<JsonObject> call : calls) assertNotNull(call.result().getLong("id"));
            test.completeNow();
          })));
        }
      });
    }));
  }
}
