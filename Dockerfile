# Container image of the gateway. Not built or tested here: this machine has no Docker engine and
# no registry to pull the base image from (see k8s/README.md). Build the jar first, then the image:
#   mvn -B -DskipTests package          # -> target/sluice.jar (shaded, with the manifest's main class)
#   docker build -t sluice:0.1.0 .
# Keep the build context small: .work/ holds the local PostgreSQL data (a .dockerignore listing
# .work/, target/classes/ and .git/ helps).
FROM eclipse-temurin:17-jre

# An unprivileged user with a fixed UID, matching runAsUser in k8s/deployment.yaml.
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --no-create-home --home-dir /app --shell /usr/sbin/nologin sluice

WORKDIR /app
COPY --chown=root:root target/sluice.jar /app/sluice.jar
# The default configuration (SLUICE_CONFIG's default is conf/sluice.yaml, relative to /app).
# In Kubernetes the ConfigMap replaces it through SLUICE_CONFIG=/etc/sluice/sluice.yaml.
COPY --chown=root:root conf/sluice.yaml /app/conf/sluice.yaml

# Heap sized from the container's memory limit; exit on OOM so the orchestrator restarts the pod.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError"

USER 10001:10001
# HTTP API, /health/live, /health/ready and /metrics all on one port; 5701 is Hazelcast's
# membership port when started with --cluster (the event bus itself takes a random port).
EXPOSE 8080 5701

# Exec form: java is PID 1 and gets SIGTERM directly, so its shutdown hook drains in-flight
# requests (http.shutdownGraceMs) before exiting.
ENTRYPOINT ["java", "-jar", "/app/sluice.jar"]
