package dev.sluice.k8s;

import dev.sluice.config.EnvOverrides;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Parses every YAML document of k8s/ (and k8s/templates/, where the Secret template lives so that
 * {@code kubectl apply -k k8s/} never applies its placeholders) with the Fabric8 Kubernetes model
 * and checks what the gateway needs from them: probes on the health endpoints, draining, resources,
 * the Secret and ConfigMap wiring, autoscaling, disruption budget, Hazelcast discovery RBAC.
 *
 * <p>The ConfigMap is not a file here: kustomize generates it from conf/sluice.yaml
 * (conf/kustomization.yaml, a base of k8s/kustomization.yaml), so its content cannot drift. What
 * generation cannot guarantee is checked instead: that k8s/kustomization.yaml lists every manifest and
 * the generator, that the Deployment mounts the generated ConfigMap, and that the Kubernetes-only values
 * (SLUICE_* variables of the Deployment) name real keys of conf/sluice.yaml and give the pods what
 * they need (listening beyond loopback, discovery through the headless Service, no demo load).
 *
 * <p>Fabric8's model classes keep fields they don't know in {@code additionalProperties} (a Jackson
 * any-setter) instead of failing, so failing on unknown properties in Jackson alone would let a typo
 * such as {@code livenesProbe} through silently. {@link #unknownFields} walks the parsed object
 * graph and reports every non-empty {@code additionalProperties}; a kind the model does not know
 * comes back as {@link GenericKubernetesResource} and is refused as well.
 *
 * <p>Paths are relative to the project root, surefire's working directory.
 */
class ManifestsTest {
  private static final Path K8S = Path.of("k8s");
  private static final Path CONF = Path.of("conf", "sluice.yaml");
  private static final Path CONF_KUSTOMIZATION = Path.of("conf", "kustomization.yaml");
  private static final String KUSTOMIZATION = "kustomization.yaml";
  /** Variables the process reads before (or instead of) the configuration: not keys of sluice.yaml. */
  private static final Set<String> PROCESS_VARIABLES = Set.of("SLUICE_CONFIG", "SLUICE_LOG_FORMAT");
  private static final String CONTAINER = "sluice";
  private static final int HTTP_PORT = 8080;
  private static final int HAZELCAST_PORT = 5701;

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Every document of every manifest, in file order. */
  private static final List<HasMetadata> ALL = new ArrayList<>();
  /** The YAML each object was parsed from, to make independent copies for the negative tests. */
  private static final Map<HasMetadata, String> SOURCE = new IdentityHashMap<>();
  private static Map<String, Object> confYaml;

  @BeforeAll
  static void load() throws IOException {
    assertTrue(Files.isDirectory(K8S), "run from the project root: no " + K8S.toAbsolutePath());
    List<Path> files = manifestFiles();
    assertFalse(files.isEmpty(), "no manifests in k8s/");
    List<String> problems = new ArrayList<>();
    for (Path file : files) {
      List<HasMetadata> docs = parse(Files.readString(file), file.toString(), problems);
      if (docs.isEmpty()) problems.add(file + ": no Kubernetes object in it");
      ALL.addAll(docs);
    }
    assertEquals(List.of(), problems, "manifests that do not parse cleanly with the Fabric8 model");
    confYaml = new Yaml().load(Files.readString(CONF));
  }

  private static List<Path> manifestFiles() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path dir : List.of(K8S, K8S.resolve("templates"))) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(p -> p.getFileName().toString().matches(".*\\.ya?ml"))
            .filter(p -> !p.getFileName().toString().equals(KUSTOMIZATION)).sorted().forEach(out::add);
      }
    }
    return out;
  }

  /**
   * Parses each YAML document of {@code text} with the Fabric8 model. Problems (unknown kinds,
   * unknown fields, unreadable values) are added to {@code problems} naming the source and path.
   */
  static List<HasMetadata> parse(String text, String source, List<String> problems) {
    List<HasMetadata> out = new ArrayList<>();
    int index = 0;
    for (Object doc : new Yaml().loadAll(text)) {
      index++;
      if (doc == null) continue; // an empty document, e.g. after a trailing ---
      String where = source + " #" + index;
      KubernetesResource resource;
      String json;
      try {
        json = SERIALIZATION.asJson(doc);
        resource = SERIALIZATION.unmarshal(json, KubernetesResource.class);
      } catch (RuntimeException e) {
        problems.add(where + ": does not parse: " + e.getMessage());
        continue;
      }
      if (resource instanceof GenericKubernetesResource g) {
        problems.add(where + ": kind " + g.getKind() + " (" + g.getApiVersion() + ") is not a known Kubernetes type");
        continue;
      }
      if (!(resource instanceof HasMetadata object)) {
        problems.add(where + ": not a Kubernetes object: " + resource.getClass().getSimpleName());
        continue;
      }
      String name = object.getKind() + "/" + (object.getMetadata() == null ? "?" : object.getMetadata().getName());
      for (String unknown : unknownFields(object)) problems.add(where + " " + name + ": unknown field " + unknown);
      if (object.getMetadata() == null || object.getMetadata().getName() == null) {
        problems.add(where + " " + object.getKind() + ": metadata.name is missing");
      }
      out.add(object);
      SOURCE.put(object, json);
    }
    return out;
  }

  private static HasMetadata reparse(HasMetadata object) {
    return SERIALIZATION.unmarshal(SOURCE.get(object), KubernetesResource.class) instanceof HasMetadata h ? h : null;
  }

  /** Paths of every field the model did not recognise, anywhere in the object. */
  static List<String> unknownFields(Object root) {
    List<String> out = new ArrayList<>();
    walk(root, "", out);
    return out;
  }

  private static void walk(Object node, String path, List<String> out) {
    if (node == null) return;
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> walk(v, path + "." + k, out));
      return;
    }
    if (node instanceof Collection<?> list) {
      int i = 0;
      for (Object v : list) walk(v, path + "[" + i++ + "]", out);
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.")) return;
    try {
      Method extra = node.getClass().getMethod("getAdditionalProperties");
      Object value = extra.invoke(node);
      if (value instanceof Map<?, ?> m && !m.isEmpty()) {
        for (Object key : m.keySet()) out.add((path.isEmpty() ? "" : path.substring(1) + ".") + key);
      }
    } catch (NoSuchMethodException e) {
      // a model value without any-setter (e.g. an enum): nothing to check at this level
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    for (Class<?> c = node.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("additionalProperties")) continue;
        try {
          f.setAccessible(true);
          walk(f.get(node), path + "." + f.getName(), out);
        } catch (ReflectiveOperationException | RuntimeException e) {
          throw new IllegalStateException("cannot read " + c.getName() + "." + f.getName(), e);
        }
      }
    }
  }

  private static <T extends HasMetadata> List<T> all(Class<T> type) {
    return ALL.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), "exactly one " + type.getSimpleName() + " expected in k8s/, found " + found.size());
    return found.get(0);
  }

  private static Deployment deployment() {
    return one(Deployment.class);
  }

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> CONTAINER.equals(c.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no container named " + CONTAINER));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yamlFile(Path file) {
    try {
      Object parsed = new Yaml().load(Files.readString(file));
      assertTrue(parsed instanceof Map, file + " is not a YAML mapping");
      return (Map<String, Object>) parsed;
    } catch (IOException e) {
      throw new AssertionError(file + ": " + e.getMessage(), e);
    }
  }

  /** The Deployment container's SLUICE_* variables with a literal value (not from a Secret or the pod). */
  private static Map<String, String> literalSluiceEnv(Container c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (EnvVar e : c.getEnv()) {
      if (e.getName().startsWith("SLUICE_") && e.getValue() != null) out.put(e.getName(), e.getValue());
    }
    return out;
  }

  /**
   * What a pod's gateway runs with: the generated ConfigMap (conf/sluice.yaml as it is) under the
   * Deployment's SLUICE_* overrides, applied by the gateway's own {@link EnvOverrides}.
   */
  private static JsonObject podConfig() {
    // copy(): a JsonObject over the parsed YAML would write through into it
    return EnvOverrides.apply(new JsonObject(confYaml).copy(), literalSluiceEnv(container(deployment())));
  }

  /** The variables of {@code names} that name no key of {@code conf} (so the gateway would ignore them). */
  static List<String> unknownVariables(Map<String, Object> conf, Collection<String> names) {
    String marker = "sluice-unknown-variable-check";
    List<String> out = new ArrayList<>();
    for (String name : names) {
      if (PROCESS_VARIABLES.contains(name)) continue;
      // copy(): a JsonObject over the parsed YAML would write through into it
      JsonObject applied = EnvOverrides.apply(new JsonObject(conf).copy(), Map.of(name, marker));
      if (!applied.encode().contains(marker)) out.add(name);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(Map<String, Object> yaml, String name) {
    Object v = yaml.get(name);
    return v instanceof Map ? (Map<String, Object>) v : Map.of();
  }

  // ---------------------------------------------------------------- the parser itself

  @Test
  void everyKindIsThere() {
    Set<String> kinds = new HashSet<>();
    ALL.forEach(o -> kinds.add(o.getKind()));
    for (String kind : List.of("Deployment", "Service", "ServiceAccount", "Role", "RoleBinding",
        "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget")) {
      assertTrue(kinds.contains(kind), "no " + kind + " in k8s/ (found " + kinds + ")");
    }
    Set<String> ids = new HashSet<>();
    for (HasMetadata o : ALL) {
      assertTrue(ids.add(o.getKind() + "/" + o.getMetadata().getName()),
          "declared twice: " + o.getKind() + "/" + o.getMetadata().getName());
      assertEquals(null, o.getMetadata().getNamespace(),
          o.getKind() + "/" + o.getMetadata().getName() + ": no namespace, so `kubectl apply -n NS` decides it");
    }
  }

  @Test
  void anUnknownFieldFails() {
    String bogus = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: x
        spec:
          replicas: 1
          selector: {matchLabels: {app: x}}
          template:
            metadata: {labels: {app: x}}
            spec:
              containers:
                - name: x
                  image: x
                  livenesProbe:            # typo: the probe would silently not exist
                    httpGet: {path: /health/live, port: 8080}
        """;
    List<String> problems = new ArrayList<>();
    List<HasMetadata> parsed = parse(bogus, "bogus.yaml", problems);
    assertEquals(1, parsed.size());
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("spec.template.spec.containers[0].livenesProbe"), problems.get(0));

    // ... also at the top level and in metadata
    problems.clear();
    parse("apiVersion: v1\nkind: Service\nmetadata: {name: x, lables: {a: b}}\nspec: {ports: [{port: 80}]}\nstatus2: {}\n",
        "bogus2.yaml", problems);
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("metadata.lables")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.endsWith("unknown field status2")), problems.toString());
  }

  @Test
  void anUnknownKindOrApiVersionOrBadValueFails() {
    List<String> problems = new ArrayList<>();
    parse("apiVersion: apps/v9\nkind: Deployment\nmetadata: {name: x}\n", "bogus.yaml", problems);
    parse("apiVersion: v1\nkind: Sevrice\nmetadata: {name: x}\n", "bogus.yaml", problems);
    parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: three}\n", "bogus.yaml", problems);
    assertEquals(3, problems.size(), problems.toString());
  }

  @Test
  void theCleanManifestsReallyHaveNoUnknownFields() {
    // Guards the walker itself: it must reach deep model objects (a probe's httpGet port).
    Container c = container(deployment());
    assertNotNull(c.getReadinessProbe().getHttpGet().getPort());
    List<String> problems = new ArrayList<>();
    for (HasMetadata o : ALL) problems.addAll(unknownFields(o));
    assertEquals(List.of(), problems);
  }

  // ---------------------------------------------------------------- the Deployment

  /** What the Deployment must have; empty when it is fine. Separate so a negative test can use it. */
  static List<String> deploymentProblems(Deployment d, int shutdownGraceMs) {
    List<String> problems = new ArrayList<>();
    if (!Objects.equals(d.getSpec().getReplicas(), 3)) problems.add("replicas must be 3, is " + d.getSpec().getReplicas());
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().stream().filter(x -> CONTAINER.equals(x.getName())).findFirst().orElse(null);
    if (c == null) {
      problems.add("no container named " + CONTAINER);
      return problems;
    }
    checkProbe(c, "readinessProbe", c.getReadinessProbe(), "/health/ready", problems);
    checkProbe(c, "livenessProbe", c.getLivenessProbe(), "/health/live", problems);

    ResourceRequirements r = c.getResources();
    if (r == null || r.getRequests() == null || r.getLimits() == null) {
      problems.add("resources.requests and resources.limits are required");
    } else {
      for (String res : List.of("cpu", "memory")) {
        Quantity req = r.getRequests().get(res);
        Quantity lim = r.getLimits().get(res);
        if (req == null || lim == null) {
          problems.add("resources: " + res + " needs a request and a limit");
        } else if (req.getNumericalAmount().compareTo(lim.getNumericalAmount()) > 0) {
          problems.add("resources: " + res + " request " + req + " exceeds its limit " + lim);
        }
      }
    }

    LifecycleHandler preStop = c.getLifecycle() == null ? null : c.getLifecycle().getPreStop();
    if (preStop == null) {
      problems.add("a preStop hook is required (lets endpoint removal propagate before SIGTERM)");
    }
    long grace = pod.getTerminationGracePeriodSeconds() == null ? 30 : pod.getTerminationGracePeriodSeconds();
    long preStopSeconds = preStopSleepSeconds(preStop);
    if (grace < 15) problems.add("terminationGracePeriodSeconds must be >= 15, is " + grace);
    if (grace * 1000 <= preStopSeconds * 1000 + shutdownGraceMs) {
      problems.add("terminationGracePeriodSeconds " + grace + " s must exceed the preStop sleep (" + preStopSeconds
          + " s) + http.shutdownGraceMs (" + shutdownGraceMs + " ms)");
    }
    return problems;
  }

  private static void checkProbe(Container c, String name, Probe probe, String path, List<String> problems) {
    if (probe == null) {
      problems.add(name + " is missing");
      return;
    }
    HTTPGetAction get = probe.getHttpGet();
    if (get == null) {
      problems.add(name + " must be an httpGet on " + path);
      return;
    }
    if (!path.equals(get.getPath())) problems.add(name + " must GET " + path + ", gets " + get.getPath());
    Integer port = resolvePort(c, get.getPort());
    if (!Objects.equals(port, HTTP_PORT)) problems.add(name + " must use port " + HTTP_PORT + ", uses " + get.getPort());
  }

  private static Integer resolvePort(Container c, IntOrString port) {
    if (port == null) return null;
    if (port.getIntVal() != null) return port.getIntVal();
    return c.getPorts() == null ? null : c.getPorts().stream()
        .filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElse(null);
  }

  private static long preStopSleepSeconds(LifecycleHandler preStop) {
    if (preStop == null) return 0;
    if (preStop.getSleep() != null && preStop.getSleep().getSeconds() != null) return preStop.getSleep().getSeconds();
    if (preStop.getExec() != null && preStop.getExec().getCommand() != null) {
      for (String word : preStop.getExec().getCommand()) {
        if (word.matches("\\d+")) return Long.parseLong(word);
      }
    }
    return 0;
  }

  private static int shutdownGraceMs() {
    return podConfig().getJsonObject("http").getInteger("shutdownGraceMs", 10_000);
  }

  @Test
  void deploymentHasProbesReplicasResourcesAndDraining() {
    assertEquals(List.of(), deploymentProblems(deployment(), shutdownGraceMs()));
  }

  @Test
  void aDeploymentWithoutAProbeOrDrainingFails() {
    // A fresh copy parsed from the same YAML (serialising a model object would need SLF4J, which
    // the pom leaves out of the test classpath).
    Deployment d = (Deployment) reparse(deployment());
    Container c = container(d);
    c.setLivenessProbe(null);
    c.getReadinessProbe().getHttpGet().setPath("/");
    c.setLifecycle(null);
    d.getSpec().getTemplate().getSpec().setTerminationGracePeriodSeconds(10L);
    List<String> problems = deploymentProblems(d, 10_000);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("livenessProbe is missing")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("readinessProbe must GET /health/ready")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("a preStop hook is required")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("terminationGracePeriodSeconds must be >= 15")), problems.toString());
  }

  @Test
  void deploymentReadsTheSecretAndTheConfigMap() {
    Deployment d = deployment();
    Container c = container(d);
    Map<String, EnvVar> env = new LinkedHashMap<>();
    c.getEnv().forEach(e -> env.put(e.getName(), e));

    Secret secret = one(Secret.class);
    Set<String> secretKeys = new HashSet<>();
    if (secret.getStringData() != null) secretKeys.addAll(secret.getStringData().keySet());
    if (secret.getData() != null) secretKeys.addAll(secret.getData().keySet());
    for (String name : List.of("SLUICE_PG_URL", "SLUICE_REDIS_URL", "SLUICE_PG_REPLICAS_URLS")) {
      EnvVar e = env.get(name);
      assertNotNull(e, name + " is not set");
      assertTrue(e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null, name + " must come from a Secret");
      assertEquals(secret.getMetadata().getName(), e.getValueFrom().getSecretKeyRef().getName(), name + ": which Secret");
      assertTrue(secretKeys.contains(e.getValueFrom().getSecretKeyRef().getKey()),
          name + ": the Secret has no key " + e.getValueFrom().getSecretKeyRef().getKey());
    }
    assertEquals(Boolean.TRUE, env.get("SLUICE_PG_REPLICAS_URLS").getValueFrom().getSecretKeyRef().getOptional(),
        "replicas are optional: a Secret without the key must still start the pods");

    // SLUICE_CONFIG points at the generated ConfigMap's sluice.yaml where it is mounted.
    String cm = generatedConfigMapName();
    EnvVar config = env.get("SLUICE_CONFIG");
    assertNotNull(config, "SLUICE_CONFIG is not set");
    Volume volume = d.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getConfigMap() != null && cm.equals(v.getConfigMap().getName()))
        .findFirst().orElseThrow(() -> new AssertionError("no volume from ConfigMap " + cm));
    VolumeMount mount = c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("volume " + volume.getName() + " is not mounted"));
    assertEquals(mount.getMountPath() + "/sluice.yaml", config.getValue());

    // The gateway's port in the pods' configuration is the one the probes and Services use.
    assertEquals(HTTP_PORT, podConfig().getJsonObject("http").getInteger("port"));
    assertEquals("0.0.0.0", podConfig().getJsonObject("http").getString("host"), "http.host must listen beyond loopback");
  }

  @Test
  void podsAreScrapedByPrometheus() {
    Map<String, String> a = deployment().getSpec().getTemplate().getMetadata().getAnnotations();
    assertNotNull(a, "no pod annotations");
    assertEquals("true", a.get("prometheus.io/scrape"));
    assertEquals(String.valueOf(HTTP_PORT), a.get("prometheus.io/port"));
    assertEquals("/metrics", a.get("prometheus.io/path"));
  }

  // ---------------------------------------------------------------- Services, RBAC, HPA, PDB

  private static boolean selects(Map<String, String> selector) {
    Map<String, String> labels = deployment().getSpec().getTemplate().getMetadata().getLabels();
    return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  @Test
  void servicesReachThePods() {
    List<Service> services = all(Service.class);
    Service http = services.stream().filter(s -> !"None".equals(s.getSpec().getClusterIP())).findFirst()
        .orElseThrow(() -> new AssertionError("no (non-headless) Service"));
    Service headless = services.stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).findFirst()
        .orElseThrow(() -> new AssertionError("no headless Service for Hazelcast discovery"));
    Container c = container(deployment());

    assertTrue(selects(http.getSpec().getSelector()), "Service " + http.getMetadata().getName() + " selects no gateway pod");
    ServicePort hp = http.getSpec().getPorts().get(0);
    assertEquals(HTTP_PORT, hp.getPort());
    assertEquals(HTTP_PORT, resolvePort(c, hp.getTargetPort()));

    assertTrue(selects(headless.getSpec().getSelector()), "headless Service selects no gateway pod");
    assertTrue(headless.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == HAZELCAST_PORT
        && Objects.equals(resolvePort(c, p.getTargetPort()), HAZELCAST_PORT)), "headless Service must expose 5701");
    assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses(),
        "cluster members must find each other before they are ready");
  }

  @Test
  void clusteredPodsFindEachOtherThroughTheHeadlessService() {
    Container c = container(deployment());
    assertTrue(c.getArgs() != null && c.getArgs().contains("--cluster"), "the gateway must start with --cluster");
    Service headless = all(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP())).findFirst()
        .orElseThrow(() -> new AssertionError("no headless Service"));
    assertEquals(headless.getMetadata().getName(), podConfig().getJsonObject("cluster").getString("kubernetesService"),
        "cluster.kubernetesService must name the headless Service");
    EnvVar host = c.getEnv().stream().filter(e -> e.getName().equals("SLUICE_CLUSTER_HOST")).findFirst()
        .orElseThrow(() -> new AssertionError("SLUICE_CLUSTER_HOST is not set: the event bus would bind to loopback"));
    assertEquals("status.podIP", host.getValueFrom().getFieldRef().getFieldPath());
  }

  @Test
  void rbacLetsThePodsDiscoverEachOther() {
    ServiceAccount sa = one(ServiceAccount.class);
    Role role = one(Role.class);
    RoleBinding binding = one(RoleBinding.class);
    assertEquals(sa.getMetadata().getName(), deployment().getSpec().getTemplate().getSpec().getServiceAccountName());

    for (String resource : List.of("endpoints", "pods")) {
      Set<String> verbs = new HashSet<>();
      for (PolicyRule rule : role.getRules()) {
        if (rule.getApiGroups().contains("") && rule.getResources().contains(resource)) verbs.addAll(rule.getVerbs());
      }
      assertTrue(verbs.containsAll(List.of("get", "list", "watch")), resource + ": get, list, watch needed, has " + verbs);
    }
    for (PolicyRule rule : role.getRules()) {
      assertTrue(Set.of("get", "list", "watch").containsAll(rule.getVerbs()), "read-only, but " + rule.getVerbs());
    }

    assertEquals("Role", binding.getRoleRef().getKind());
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    Subject subject = binding.getSubjects().get(0);
    assertEquals("ServiceAccount", subject.getKind());
    assertEquals(sa.getMetadata().getName(), subject.getName());
  }

  @Test
  void autoscalerAndDisruptionBudget() {
    HorizontalPodAutoscaler hpa = one(HorizontalPodAutoscaler.class);
    assertEquals("autoscaling/v2", hpa.getApiVersion());
    assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
    assertEquals(deployment().getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
    assertTrue(hpa.getSpec().getMinReplicas() >= 3 && hpa.getSpec().getMaxReplicas() > hpa.getSpec().getMinReplicas(),
        "minReplicas >= 3 < maxReplicas");
    MetricSpec cpu = hpa.getSpec().getMetrics().stream()
        .filter(m -> "Resource".equals(m.getType()) && "cpu".equals(m.getResource().getName())).findFirst()
        .orElseThrow(() -> new AssertionError("the HPA must scale on CPU"));
    assertNotNull(cpu.getResource().getTarget().getAverageUtilization());

    PodDisruptionBudget pdb = one(PodDisruptionBudget.class);
    assertEquals("policy/v1", pdb.getApiVersion());
    assertTrue(selects(pdb.getSpec().getSelector().getMatchLabels()), "the PDB selects no gateway pod");
    assertTrue(pdb.getSpec().getMaxUnavailable() != null || pdb.getSpec().getMinAvailable() != null);
  }

  @Test
  void secretIsAPlaceholderTemplate() {
    Secret secret = one(Secret.class);
    assertNotNull(secret.getStringData(), "the template uses stringData");
    secret.getStringData().forEach((k, v) ->
        assertTrue(v.contains("CHANGE_ME") || v.contains("CHANGE-ME"), k + " must be a marked placeholder, not a real value"));
    // The template must never be applied with the rest (it would replace the real Secret).
    try (Stream<Path> top = Files.list(K8S)) {
      for (Path p : top.filter(p -> p.toString().matches(".*\\.ya?ml")).toList()) {
        List<HasMetadata> docs = parse(Files.readString(p), p.toString(), new ArrayList<>());
        assertTrue(docs.stream().noneMatch(Secret.class::isInstance), p + " holds a Secret: move it to k8s/templates/");
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  // ---------------------------------------------------------------- kustomize and the generated ConfigMap

  @SuppressWarnings("unchecked")
  private static List<String> listOf(Map<String, Object> yaml, String key) {
    Object v = yaml.get(key);
    return v instanceof List<?> l ? (List<String>) l : List.of();
  }

  /** The name conf/kustomization.yaml generates the ConfigMap under (before kustomize's hash suffix). */
  @SuppressWarnings("unchecked")
  private static String generatedConfigMapName() {
    Map<String, Object> conf = yamlFile(CONF_KUSTOMIZATION);
    List<Object> generators = conf.get("configMapGenerator") instanceof List<?> l ? (List<Object>) l : List.of();
    assertEquals(1, generators.size(), CONF_KUSTOMIZATION + ": one configMapGenerator expected");
    Map<String, Object> generator = (Map<String, Object>) generators.get(0);
    assertEquals(List.of(CONF.getFileName().toString()), listOf(generator, "files"),
        CONF_KUSTOMIZATION + ": the ConfigMap must be generated from sluice.yaml itself");
    return (String) generator.get("name");
  }

  @Test
  @DisplayName("k8s/kustomization.yaml applies every manifest here and the ConfigMap generated from conf/")
  void kustomizationListsEveryManifestAndTheGeneratedConfig() throws IOException {
    List<String> resources = listOf(yamlFile(K8S.resolve(KUSTOMIZATION)), "resources");
    assertTrue(resources.contains("../conf"), "k8s/kustomization.yaml must take ../conf (the generated ConfigMap) as a base");
    List<String> files = new ArrayList<>();
    try (Stream<Path> top = Files.list(K8S)) {
      top.map(p -> p.getFileName().toString()).filter(n -> n.matches(".*\\.ya?ml") && !n.equals(KUSTOMIZATION))
          .sorted().forEach(files::add);
    }
    for (String file : files) assertTrue(resources.contains(file), file + " is not in k8s/kustomization.yaml's resources");
    for (String r : resources) {
      assertTrue(r.equals("../conf") || files.contains(r), r + " in k8s/kustomization.yaml does not exist in k8s/");
    }
    assertFalse(resources.stream().anyMatch(r -> r.startsWith("templates")), "the Secret template must never be applied");
    assertEquals("sluice-config", generatedConfigMapName());
  }

  @Test
  @DisplayName("every SLUICE_* variable of the Deployment names a key of conf/sluice.yaml")
  void deploymentVariablesNameRealConfigKeys() {
    List<String> names = container(deployment()).getEnv().stream().map(EnvVar::getName)
        .filter(n -> n.startsWith("SLUICE_")).toList();
    assertEquals(List.of(), unknownVariables(confYaml, names), "variables the gateway would silently ignore");
    JsonObject pod = podConfig();
    assertEquals(Boolean.FALSE, pod.getJsonObject("demo").getBoolean("load"),
        "an empty production database must never be seeded with demo rows");
    assertEquals("json", literalSluiceEnv(container(deployment())).get("SLUICE_LOG_FORMAT"),
        "pods log one JSON object per line");
  }

  @Test
  @DisplayName("a misspelt variable is reported, a real key and a process variable are not")
  void aMisspeltVariableIsReported() {
    assertEquals(List.of("SLUICE_DEMO_LAOD"), unknownVariables(confYaml,
        List.of("SLUICE_DEMO_LOAD", "SLUICE_DEMO_LAOD", "SLUICE_CLUSTER_KUBERNETES_SERVICE", "SLUICE_CONFIG")));
  }
}
