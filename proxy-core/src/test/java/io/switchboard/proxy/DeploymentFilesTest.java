package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.ConfigLoader;
import io.switchboard.config.SwitchboardConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine or Kubernetes cluster runs on the build machines, so the files under docker/ are
 * kept correct by construction: parsed here, their ports, probe paths, environment variables and
 * shutdown timing checked against what the proxy actually reads and serves.
 */
class DeploymentFilesTest {

  private static final Path DOCKER = Path.of("..", "docker");
  private static final SwitchboardConfig DEFAULTS =
      ConfigLoader.parse("switchboard.sentinel.hosts = \"127.0.0.1:26379\"");

  private static Map<String, Object> yaml(String file) throws IOException {
    return new Yaml().load(Files.readString(DOCKER.resolve(file)));
  }

  /** The node at {@code path} (map keys, list indexes) in parsed YAML. */
  @SuppressWarnings("unchecked")
  static <T> T at(Object node, Object... path) {
    Object current = node;
    for (Object step : path) {
      current =
          step instanceof Integer index
              ? ((List<Object>) current).get(index)
              : ((Map<String, Object>) current).get(step);
    }
    return (T) current;
  }

  private static final int CLIENT_PORT = DEFAULTS.listen().port();
  private static final int ADMIN_PORT = DEFAULTS.admin().endpoint().port();

  @Test
  void composeRunsAWholeSentinelDeploymentWithTheProxyOnItsDefaultPorts() throws IOException {
    Map<String, Object> compose = yaml("docker-compose.yml");
    Map<String, Object> services = at(compose, "services");
    assertThat(services)
        .containsKeys(
            "redis-primary",
            "redis-replica-1",
            "redis-replica-2",
            "sentinel-1",
            "sentinel-2",
            "sentinel-3",
            "switchboard",
            "prometheus",
            "grafana");
    List<String> ports = at(services, "switchboard", "ports");
    assertThat(ports).contains(CLIENT_PORT + ":" + CLIENT_PORT, ADMIN_PORT + ":" + ADMIN_PORT);
    Map<String, Object> env = at(services, "switchboard", "environment");
    assertThat(env).containsKeys("REDIS_SENTINEL_HOSTS", "REDIS_SENTINEL_MASTER", "REDIS_PASSWORD");
    assertThat((String) env.get("REDIS_SENTINEL_HOSTS"))
        .isEqualTo("sentinel-1:26379,sentinel-2:26379,sentinel-3:26379");
    assertThat((String) at(services, "sentinel-2", "command"))
        .as("the YAML merge gives every Sentinel the same command")
        .contains("sentinel monitor mymaster redis-primary 6379 2");
    assertReferenceConfReads(env.keySet());
    assertThat(Files.readString(DOCKER.resolve("prometheus.yml")))
        .contains("switchboard:" + ADMIN_PORT)
        .contains("metrics_path: /metrics");
  }

  @Test
  void kubernetesProbesPortsAndGracePeriodMatchTheProxy() throws IOException {
    Map<String, Object> deployment = yaml("kubernetes/deployment.yaml");
    Map<String, Object> pod = at(deployment, "spec", "template", "spec");
    Map<String, Object> container = at(pod, "containers", 0);
    List<Map<String, Object>> ports = at(container, "ports");
    assertThat(ports)
        .contains(
            Map.of("name", "redis", "containerPort", CLIENT_PORT),
            Map.of("name", "admin", "containerPort", ADMIN_PORT));
    assertThat((String) at(container, "readinessProbe", "httpGet", "path"))
        .isEqualTo("/health/ready");
    assertThat((String) at(container, "livenessProbe", "httpGet", "path"))
        .isEqualTo("/health/live");
    assertThat((String) at(container, "readinessProbe", "httpGet", "port")).isEqualTo("admin");
    List<String> preStop = at(container, "lifecycle", "preStop", "exec", "command");
    int preStopSeconds = Integer.parseInt(preStop.get(1));
    int grace = at(pod, "terminationGracePeriodSeconds");
    assertThat(grace)
        .as("preStop + server.shutdown-timeout must fit in the grace period")
        .isGreaterThan(preStopSeconds + (int) DEFAULTS.server().shutdownTimeout().toSeconds());
    assertThat((Integer) at(deployment, "spec", "replicas")).isGreaterThanOrEqualTo(2);

    Map<String, Object> configMap = yaml("kubernetes/configmap.yaml");
    Map<String, Object> data = at(configMap, "data");
    List<Map<String, Object>> env = at(container, "env");
    java.util.Set<String> names = new java.util.HashSet<>(data.keySet());
    env.forEach(e -> names.add((String) e.get("name")));
    assertReferenceConfReads(names);
    assertThat(((String) data.get("REDIS_SENTINEL_HOSTS")).split(","))
        .allMatch(host -> host.matches("redis-node-\\d\\.redis-headless\\.[a-z.]+:26379"));

    Map<String, Object> service = yaml("kubernetes/service.yaml");
    assertThat((List<Map<String, Object>>) at(service, "spec", "ports"))
        .contains(Map.of("name", "redis", "port", 6379, "targetPort", "redis"));
    Map<String, String> labels = at(deployment, "spec", "template", "metadata", "labels");
    assertThat((Map<String, String>) at(service, "spec", "selector")).isEqualTo(labels);
    Map<String, Object> budget = yaml("kubernetes/pdb.yaml");
    assertThat((Map<String, String>) at(budget, "spec", "selector", "matchLabels"))
        .isEqualTo(labels);
  }

  @Test
  void theClusterModeConfigMapReplacesTheSentinelOneWithSeedsOfABitnamiCluster()
      throws IOException {
    Map<String, Object> sentinel = yaml("kubernetes/configmap.yaml");
    Map<String, Object> cluster = yaml("kubernetes/configmap-cluster.yaml");
    assertThat((String) at(cluster, "metadata", "name"))
        .as("the deployment's envFrom finds either under one name")
        .isEqualTo(at(sentinel, "metadata", "name"));
    Map<String, Object> data = at(cluster, "data");
    assertReferenceConfReads(data.keySet());
    assertThat(data).doesNotContainKey("REDIS_SENTINEL_HOSTS");
    assertThat(((String) data.get("REDIS_CLUSTER_NODES")).split(","))
        .allMatch(
            host -> host.matches("redis-cluster-\\d\\.redis-cluster-headless\\.[a-z.]+:6379"));
  }

  @Test
  void theImageExposesTheDefaultPortsAndChecksReadiness() throws IOException {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("EXPOSE " + CLIENT_PORT + " " + ADMIN_PORT)
        .contains("/dev/tcp/127.0.0.1/" + ADMIN_PORT)
        .contains("GET /health/ready")
        .contains("USER 10001");
  }

  /** Every variable a deployment file sets must be one the proxy reads (or logback's format). */
  static void assertReferenceConfReads(java.util.Collection<String> variables) throws IOException {
    String reference =
        Files.readString(Path.of("..", "config", "src", "main", "resources", "reference.conf"));
    for (String variable : variables) {
      if (variable.equals("SWITCHBOARD_LOG_FORMAT")) {
        continue; // read by logback.xml
      }
      assertThat(reference)
          .as(variable + " is read by reference.conf")
          .contains("${?" + variable + "}");
    }
  }

  /** Metric names the Grafana dashboard queries, for {@code AdminEndpointIT} to look for. */
  static List<String> dashboardMetrics() throws IOException {
    String dashboard =
        Files.readString(DOCKER.resolve(Path.of("grafana", "dashboards", "switchboard.json")));
    Matcher names =
        Pattern.compile("(switchboard_[a-z_]+|jvm_[a-z_]+|netty_[a-z_]+)").matcher(dashboard);
    List<String> found = new java.util.ArrayList<>();
    while (names.find()) {
      if (!found.contains(names.group(1))) {
        found.add(names.group(1));
      }
    }
    return found;
  }
}
