package dev.sluice.examples;

import dev.sluice.bus.Addresses;
import dev.sluice.cluster.BusClient;
import dev.sluice.cluster.ClusterSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * A tiny event-bus consumer in its own JVM: joins the Sluice cluster as a lite member and pages
 * through {@code leads} with keyset cursors over {@code sluice.read}, as any consumer would. It
 * finds the cluster as a gateway does: the defaults, or SLUICE_CLUSTER_NAME / _PORT / _MEMBERS.
 *
 * <pre>java -cp target/sluice.jar dev.sluice.examples.LeadsPager [apiKey] [pages]</pre>
 */
public final class LeadsPager {
  private LeadsPager() {}

  public static void main(String[] args) {
    String apiKey = args.length > 0 ? args[0] : "demo-reader";
    int pages = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    ClusterSettings cluster = ClusterSettings.fromEnvironment(System.getenv()).asLiteMember();
    Vertx.builder().withClusterManager(cluster.clusterManager()).buildClustered()
        .compose(vertx -> {
          BusClient client = new BusClient(vertx, 5000, 3, 200);
          return page(client, apiKey, null, pages, 0)
              .onComplete(ar -> {
                if (ar.failed()) System.err.println("failed: " + ar.cause().getMessage());
                vertx.close().onComplete(v -> System.exit(ar.succeeded() ? 0 : 1));
              });
        })
        .onFailure(err -> {
          System.err.println("could not join the cluster: " + err.getMessage());
          System.exit(1);
        });
  }

  private static Future<Integer> page(BusClient client, String apiKey, String after, int left, int seen) {
    JsonObject request = new JsonObject().put("resource", "leads").put("apiKey", apiKey)
        .put("select", "id,title,status").put("order", "created_at.desc").put("limit", 100);
    if (after != null) request.put("after", after);
    return client.request(Addresses.READ, request).compose(page -> {
      int n = page.getJsonArray("data").size();
      System.out.println("page of " + n + " leads, first id " + (n > 0 ? page.getJsonArray("data").getJsonObject(0).getLong("id") : "-"));
      String next = page.getString("next");
      return next == null || left <= 1 ? Future.succeededFuture(seen + n) : page(client, apiKey, next, left - 1, seen + n);
    });
  }
}
