package dev.sluice.support;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The PostgreSQL (with pgvector and pg_stat_statements preloaded) and Redis the integration tests
 * run against, chosen once per test JVM:
 * <ul>
 *   <li>Testcontainers ({@code pgvector/pgvector} and {@code redis} images) when a Docker engine is
 *   reachable;</li>
 *   <li>otherwise the project-local services that {@code ./sluice test} started and exported
 *   ({@code SLUICE_PG_URL}, {@code SLUICE_REDIS_URL}).</li>
 * </ul>
 * {@code SLUICE_TEST_SERVICES=local|containers} forces one. Asking Testcontainers whether Docker is
 * there can take a while when it is not (it tries one way after another), so it is asked only when
 * something points at an engine: DOCKER_HOST, a Docker socket, or Testcontainers' own settings file.
 * The choice and its reason are logged. Tests that stop or pause the local services themselves
 * (WriteFaultsIT restarts the primary with pg_ctl, ReplicaIT uses its streaming replica) use
 * {@link #local()} whatever was chosen.
 */
public final class TestServices {
  private static final Logger LOG = LoggerFactory.getLogger("sluice.test-services");
  static final String FORCE_VARIABLE = "SLUICE_TEST_SERVICES";
  static final DockerImageName PGVECTOR = DockerImageName.parse("pgvector/pgvector:pg17").asCompatibleSubstituteFor("postgres");
  static final DockerImageName REDIS = DockerImageName.parse("redis:7-alpine");

  public enum Kind { CONTAINERS, LOCAL }

  /** Which services to use, and why (for the log). */
  record Choice(Kind kind, String reason) {}

  private final Kind kind;
  private final String pgUrl;
  private final String redisUrl;

  private TestServices(Kind kind, String pgUrl, String redisUrl) {
    this.kind = kind;
    this.pgUrl = pgUrl;
    this.redisUrl = redisUrl;
  }

  public Kind kind() {
    return kind;
  }

  /** postgresql://user@host:port/sluice — no password: trust authentication, as locally. */
  public String pgUrl() {
    return pgUrl;
  }

  public String redisUrl() {
    return redisUrl;
  }

  private static final class Chosen {
    static final TestServices INSTANCE = start(choose(System.getenv(), Files::exists,
        () -> DockerClientFactory.instance().isDockerAvailable()));
  }

  /** The services of this test run (started on first use when they are containers). */
  public static TestServices get() {
    return Chosen.INSTANCE;
  }

  /** The project-local services, for the tests that stop or pause them. */
  public static TestServices local() {
    Map<String, String> env = System.getenv();
    return new TestServices(Kind.LOCAL, env.getOrDefault("SLUICE_PG_URL", "postgresql://postgres@127.0.0.1:55432/sluice"),
        env.getOrDefault("SLUICE_REDIS_URL", "redis://127.0.0.1:56379"));
  }

  /**
   * The decision alone: {@code dockerReachable} (Testcontainers' detection) is asked only when
   * nothing forces a choice and something points at a Docker engine ({@link #dockerHints}).
   */
  static Choice choose(Map<String, String> env, Predicate<Path> exists, BooleanSupplier dockerReachable) {
    String forced = env.getOrDefault(FORCE_VARIABLE, "auto");
    switch (forced) {
      case "local":
        return new Choice(Kind.LOCAL, FORCE_VARIABLE + "=local");
      case "containers":
        return new Choice(Kind.CONTAINERS, FORCE_VARIABLE + "=containers");
      case "auto":
        break;
      default:
        throw new IllegalArgumentException(FORCE_VARIABLE + " must be auto, local or containers, not '" + forced + "'");
    }
    List<String> hints = dockerHints(env, exists);
    if (hints.isEmpty()) {
      return new Choice(Kind.LOCAL, "no Docker engine: no DOCKER_HOST, no Docker socket, no ~/.testcontainers.properties");
    }
    if (dockerReachable.getAsBoolean()) {
      return new Choice(Kind.CONTAINERS, "a Docker engine is reachable (" + String.join(", ", hints) + ")");
    }
    return new Choice(Kind.LOCAL, "Testcontainers found no working Docker engine (" + String.join(", ", hints) + ")");
  }

  /** What suggests a Docker engine, cheaply: variables and files only, no connection. */
  static List<String> dockerHints(Map<String, String> env, Predicate<Path> exists) {
    List<String> out = new ArrayList<>();
    if (!env.getOrDefault("DOCKER_HOST", "").isBlank()) out.add("DOCKER_HOST");
    List<Path> candidates = new ArrayList<>(List.of(Path.of("/var/run/docker.sock")));
    String home = env.get("HOME");
    if (home != null) {
      candidates.add(Path.of(home, ".docker", "run", "docker.sock"));           // Docker Desktop
      candidates.add(Path.of(home, ".testcontainers.properties"));              // docker.host set for Testcontainers
    }
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (runtime != null) candidates.add(Path.of(runtime, "docker.sock"));     // rootless Docker
    for (Path p : candidates) if (exists.test(p)) out.add(p.toString());
    return out;
  }

  private static TestServices start(Choice choice) {
    if (choice.kind() == Kind.LOCAL) {
      TestServices local = local();
      LOG.info("test services: project-local PostgreSQL {} and Redis {} ({})", hostPort(local.pgUrl()),
          hostPort(local.redisUrl()), choice.reason());
      return local;
    }
    // Started once for the whole run; Testcontainers' Ryuk removes them when the JVM ends.
    PostgreSQLContainer<?> pg = new PostgreSQLContainer<>(PGVECTOR)
        .withDatabaseName("sluice")
        .withUsername("postgres")
        // URLs without a password, like the local cluster's (TestGateway and MainIT build them so)
        .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
        .withCommand("postgres", "-c", "shared_preload_libraries=pg_stat_statements", "-c", "max_connections=200");
    GenericContainer<?> redis = new GenericContainer<>(REDIS).withExposedPorts(6379);
    pg.start();
    redis.start();
    String pgUrl = "postgresql://postgres@" + pg.getHost() + ":" + pg.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT) + "/sluice";
    String redisUrl = "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
    LOG.info("test services: Testcontainers {} at {} and {} at {} ({})", PGVECTOR, hostPort(pgUrl), REDIS,
        hostPort(redisUrl), choice.reason());
    return new TestServices(Kind.CONTAINERS, pgUrl, redisUrl);
  }

  private static String hostPort(String url) {
    String rest = url.substring(url.indexOf("://") + 3);
    rest = rest.substring(rest.indexOf('@') + 1);
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }
}
