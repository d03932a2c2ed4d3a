package dev.sluice.cluster;

import dev.sluice.bus.Addresses;
import dev.sluice.support.Http;
import dev.sluice.support.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

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
  void changeEventsReachEveryNode() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    var onB = nodeB.vertx.eventBus().<JsonObject>consumer(Addresses.CHANGES_PREFIX + "leads", m -> seen.add("B"));
    var onConsumer = consumer.eventBus().<JsonObject>consumer(Addresses.CHANGES_PREFIX + "leads", m -> seen.add("consumer"));
    Http.await(Future.all(onB.completion(), onConsumer.completion()));
    Thread.sleep(300); // subscriptions propagate through the cluster's registry
    try {
      nodeA.vertx.eventBus().publish(Addresses.CHANGES_PREFIX + "leads",
          new JsonObject().put("resource", "leads").put("tenant", 1).put("op", "update").put("ids", new JsonArray().add(33)));
      long deadline = System.currentTimeMillis() + 5000;
      while (seen.size() < 2 && System.currentTimeMillis() < deadline) Thread.sleep(20);
      assertTrue(seen.contains("B") && seen.contains("consumer"), seen.toString());
    } finally {
      onB.unregister();
      onConsumer.unregister();
    }
  }

  @Test
  @DisplayName("node B stopped mid-load: every read from the consumer still succeeds (bounded retries)")
  void nodeLostMidLoad() throws Exception {
    TestGateway extra = Http.await(TestGateway.attach(nodeA, "cluster-c", null, CLUSTER));
    List<Future<JsonObject>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(client.request(Addresses.GET, new JsonObject().put("resource", "leads").put("apiKey", "demo-reader")
          .put("id", 1 + 4 * (i % 50)).put("noCache", true)));
      if (i == 60) Http.await(extra.close());
      Thread.sleep(5);
    }
    for (Future<JsonObject> c : calls) assertNotNull(Http.await(c).getLong("id"));
  }
}
