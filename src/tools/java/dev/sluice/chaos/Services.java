package dev.sluice.chaos;

import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The faults on the project-local services, through the same tools scripts/services.sh uses:
 * pg_ctl for PostgreSQL and its replica, redis-cli for Redis, and {@code services.sh up --replica}
 * to bring back whatever is stopped. Only services whose data lives under this checkout's .work/
 * are touched (checked at start), so another checkout's services on the machine are safe.
 */
final class Services {
  private final Map<String, String> env;
  private final String pgBin;
  private final String pgData;
  private final String replicaData;
  private final int redisPort;

  Services(Map<String, String> env) {
    this.env = env;
    this.pgBin = require(env, "SLUICE_PG_BIN");
    this.pgData = require(env, "SLUICE_PG_DATA");
    this.replicaData = require(env, "SLUICE_REPLICA_DATA");
    String work = require(env, "SLUICE_WORK");
    if (!pgData.startsWith(work + "/") || !replicaData.startsWith(work + "/")) {
      throw new IllegalStateException("the PostgreSQL data folders are not under " + work + ": not ours to restart");
    }
    URI redis = URI.create(require(env, "SLUICE_REDIS_URL"));
    if (!"127.0.0.1".equals(redis.getHost())) throw new IllegalStateException("Redis is not on 127.0.0.1: not ours to stop");
    this.redisPort = redis.getPort();
  }

  private static String require(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) throw new IllegalStateException(name + " is not set: run this through ./sluice chaos");
    return v;
  }

  void restartPostgres() throws Exception {
    List<String> cmd = asPg(pgBin + "/pg_ctl", "-D", pgData, "-l", env.getOrDefault("SLUICE_PG_LOG", "/dev/null"),
        "-w", "-t", "60", "-m", "fast", "restart");
    run(cmd, 90);
  }

  void stopReplica() throws Exception {
    run(asPg(pgBin + "/pg_ctl", "-D", replicaData, "-w", "-t", "60", "-m", "fast", "stop"), 90);
  }

  void stopRedis() throws Exception {
    run(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(redisPort), "shutdown", "nosave"), 30);
  }

  /** Starts whatever of ours is stopped (services.sh refuses to start anything while the *_URL variables are set). */
  void up() throws Exception {
    List<String> cmd = List.of("bash", require(env, "SLUICE_SERVICES"), "up", "--replica", "--quiet");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().remove("SLUICE_PG_URL");
    pb.environment().remove("SLUICE_REDIS_URL");
    wait(pb.start(), cmd, 180);
  }

  private List<String> asPg(String... args) {
    List<String> cmd = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.addAll(List.of("runuser", "-u", env.getOrDefault("SLUICE_PG_OS_USER", "postgres"), "--"));
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static void run(List<String> cmd, int timeoutSeconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File("/")).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    wait(pb.start(), cmd, timeoutSeconds);
  }

  private static void wait(Process p, List<String> cmd, int timeoutSeconds) throws Exception {
    p.getOutputStream().close();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
    }
    if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " exited with " + p.exitValue());
  }
}
