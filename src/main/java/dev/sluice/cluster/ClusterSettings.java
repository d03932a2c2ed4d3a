package dev.sluice.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.sluice.config.EnvOverrides;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The Hazelcast cluster behind the clustered event bus. Local use and tests join over TCP/IP on
 * the given members (no multicast: it is off, so nothing leaves the machine by accident);
 * in Kubernetes, Hazelcast's own Kubernetes discovery finds the pods through the headless service.
 *
 * @param name the cluster name: only members with the same name join each other
 * @param members TCP/IP members, e.g. "127.0.0.1:5701-5703"
 * @param kubernetesService the headless service name when running in Kubernetes, else null
 */
public record ClusterSettings(String name, String host, int port, List<String> members, String kubernetesService,
                              boolean liteMember) {

  private static final JsonObject DEFAULTS = new JsonObject().put("name", "sluice").put("host", "127.0.0.1")
      .put("port", 5701).put("members", "127.0.0.1:5701-5705").put("kubernetesService", "");

  /** From the {@code cluster:} section of the configuration (raw JSON, validated here). */
  public static ClusterSettings from(JsonObject cluster) {
    JsonObject c = DEFAULTS.copy().mergeIn(cluster == null ? new JsonObject() : cluster);
    String members = c.getString("members");
    int port = Integer.parseInt(String.valueOf(c.getValue("port")));
    if (port < 1 || port > 65535) throw new dev.sluice.config.ConfigException("cluster.port: must be a TCP port");
    String k8s = c.getString("kubernetesService");
    return new ClusterSettings(c.getString("name"), c.getString("host"), port,
        Arrays.stream(members.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
        k8s == null || k8s.isBlank() ? null : k8s, false);
  }

  /**
   * The defaults with the SLUICE_CLUSTER_* variables applied, as a gateway would read them: for
   * consumers that have no gateway configuration of their own.
   */
  public static ClusterSettings fromEnvironment(Map<String, String> env) {
    JsonObject root = new JsonObject().put("cluster", DEFAULTS.copy());
    return from(EnvOverrides.apply(root, env).getJsonObject("cluster"));
  }

  /** The same cluster joined as a lite member: it takes no partitions (for pure event-bus consumers). */
  public ClusterSettings asLiteMember() {
    return new ClusterSettings(name, host, port, members, kubernetesService, true);
  }

  /** "host:5701-5703" becomes three members: Hazelcast's TCP/IP join takes no port ranges. */
  static List<String> expand(List<String> members) {
    List<String> out = new java.util.ArrayList<>();
    for (String m : members) {
      int colon = m.lastIndexOf(':');
      int dash = m.indexOf('-', colon + 1);
      if (colon < 0 || dash < 0) {
        out.add(m);
        continue;
      }
      int from = Integer.parseInt(m.substring(colon + 1, dash));
      int to = Integer.parseInt(m.substring(dash + 1));
      for (int p = from; p <= to; p++) out.add(m.substring(0, colon) + ":" + p);
    }
    return out;
  }

  public HazelcastClusterManager clusterManager() {
    Config hz = ConfigUtil.loadConfig(); // Vert.x's defaults: the maps and multimaps the event bus needs
    hz.setClusterName(name);
    hz.setLiteMember(liteMember);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    NetworkConfig net = hz.getNetworkConfig().setPort(port).setPortAutoIncrement(true);
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (kubernetesService != null) {
      join.getKubernetesConfig().setEnabled(true).setProperty("service-name", kubernetesService);
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(expand(members));
      net.getInterfaces().setEnabled(true).addInterface(host);
    }
    return new HazelcastClusterManager(hz);
  }
}
