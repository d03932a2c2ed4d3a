package dev.sluice.support;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Test services: Testcontainers when a Docker engine is reachable, else the project-local services")
class TestServicesTest {
  private static final Predicate<Path> NO_FILES = p -> false;
  private static final Predicate<Path> DOCKER_SOCKET = p -> p.equals(Path.of("/var/run/docker.sock"));

  /** A Docker detection that must not be asked. */
  private static final BooleanSupplier NOT_ASKED = () -> {
    throw new AssertionError("Testcontainers' detection was asked although nothing points at a Docker engine");
  };

  private static BooleanSupplier answers(boolean reachable, AtomicInteger asked) {
    return () -> {
      asked.incrementAndGet();
      return reachable;
    };
  }

  @Test
  @DisplayName("no DOCKER_HOST, no socket, no settings file: local services, without asking Testcontainers")
  void nothingPointsAtDocker() {
    TestServices.Choice c = TestServices.choose(Map.of("HOME", "/root"), NO_FILES, NOT_ASKED);
    assertEquals(TestServices.Kind.LOCAL, c.kind());
    assertTrue(c.reason().startsWith("no Docker engine"), c.reason());
  }

  @Test
  @DisplayName("a Docker socket and a reachable engine: containers")
  void aReachableEngine() {
    AtomicInteger asked = new AtomicInteger();
    TestServices.Choice c = TestServices.choose(Map.of(), DOCKER_SOCKET, answers(true, asked));
    assertEquals(TestServices.Kind.CONTAINERS, c.kind());
    assertEquals(1, asked.get());
    assertEquals("a Docker engine is reachable (/var/run/docker.sock)", c.reason());
  }

  @Test
  @DisplayName("DOCKER_HOST set but the engine does not answer: local services")
  void anUnreachableEngine() {
    AtomicInteger asked = new AtomicInteger();
    TestServices.Choice c = TestServices.choose(Map.of("DOCKER_HOST", "tcp://10.0.0.9:2375"), NO_FILES, answers(false, asked));
    assertEquals(TestServices.Kind.LOCAL, c.kind());
    assertEquals(1, asked.get());
    assertEquals("Testcontainers found no working Docker engine (DOCKER_HOST)", c.reason());
  }

  @Test
  @DisplayName("SLUICE_TEST_SERVICES forces either, without detection; anything else is refused")
  void forcedChoices() {
    assertEquals(TestServices.Kind.LOCAL,
        TestServices.choose(Map.of("SLUICE_TEST_SERVICES", "local"), DOCKER_SOCKET, NOT_ASKED).kind());
    assertEquals(TestServices.Kind.CONTAINERS,
        TestServices.choose(Map.of("SLUICE_TEST_SERVICES", "containers"), NO_FILES, NOT_ASKED).kind());
    assertThrows(IllegalArgumentException.class,
        () -> TestServices.choose(Map.of("SLUICE_TEST_SERVICES", "docker"), NO_FILES, NOT_ASKED));
  }

  @Test
  @DisplayName("the hints: DOCKER_HOST, the system and Docker Desktop sockets, rootless Docker, Testcontainers' settings")
  void hints() {
    Set<Path> present = Set.of(Path.of("/home/u/.docker/run/docker.sock"), Path.of("/run/user/1000/docker.sock"),
        Path.of("/home/u/.testcontainers.properties"));
    assertEquals(List.of("DOCKER_HOST", "/home/u/.docker/run/docker.sock", "/home/u/.testcontainers.properties",
            "/run/user/1000/docker.sock"),
        TestServices.dockerHints(Map.of("DOCKER_HOST", "unix:///x.sock", "HOME", "/home/u", "XDG_RUNTIME_DIR", "/run/user/1000"),
            present::contains));
    assertEquals(List.of(), TestServices.dockerHints(Map.of("DOCKER_HOST", " "), NO_FILES));
  }

  @Test
  @DisplayName("this run uses what the detection chose, and says so in the log")
  void thisRun() {
    TestServices services = TestServices.get();
    assertTrue(services.pgUrl().startsWith("postgresql://postgres@"), services.pgUrl());
    assertTrue(services.redisUrl().startsWith("redis://"), services.redisUrl());
  }
}
