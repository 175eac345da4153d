package io.switchboard.proxy;

import static io.switchboard.proxy.DeploymentFilesTest.at;
import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.typesafe.config.ConfigFactory;
import io.switchboard.config.ConfigLoader;
import io.switchboard.config.SwitchboardConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart under docker/helm, linted and rendered by Helm's own code (no binary, no cluster),
 * then checked against what the proxy reads and serves, as {@link DeploymentFilesTest} checks the
 * plain manifests.
 */
class HelmChartTest {

  private static final Path CHART = Path.of("..", "docker", "helm", "switchboard");
  private static final SwitchboardConfig DEFAULTS =
      ConfigLoader.parse("switchboard.sentinel.hosts = \"127.0.0.1:26379\"");

  /** The rendered manifests, by {@code kind/name}. */
  private static Map<String, Map<String, Object>> render(String release, String... sets) {
    var template = new Helm(CHART).template().withName(release);
    for (int i = 0; i < sets.length; i += 2) {
      template.set(sets[i], sets[i + 1]);
    }
    Map<String, Map<String, Object>> byKind = new HashMap<>();
    for (Object document : new Yaml().loadAll(template.call())) {
      if (document instanceof Map<?, ?> manifest) {
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) manifest;
        String kind = (String) typed.get("kind");
        String name = at(typed, "metadata", "name");
        byKind.put(kind + "/" + name, typed);
      }
    }
    return byKind;
  }

  /** The one rendered manifest of {@code kind}, or null. */
  private static Map<String, Object> only(Map<String, Map<String, Object>> manifests, String kind) {
    List<Map<String, Object>> found =
        manifests.entrySet().stream()
            .filter(e -> e.getKey().startsWith(kind + "/"))
            .map(Map.Entry::getValue)
            .toList();
    assertThat(found.size()).as(kind).isLessThanOrEqualTo(1);
    return found.isEmpty() ? null : found.get(0);
  }

  @Test
  void theChartLintsClean() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.getMessages()).noneMatch(message -> message.contains("[ERROR]"));
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @Test
  void byDefaultItFrontsTheBitnamiSentinelReleaseWithItsPassword() {
    Map<String, Map<String, Object>> manifests = render("proxy");
    Map<String, Object> data = at(manifests.get("ConfigMap/proxy-switchboard"), "data");
    assertThat(((String) data.get("REDIS_SENTINEL_HOSTS")).split(","))
        .containsExactly(
            "redis-node-0.redis-headless:26379",
            "redis-node-1.redis-headless:26379",
            "redis-node-2.redis-headless:26379");
    assertThat(data).containsEntry("REDIS_SENTINEL_MASTER", "mymaster");
    Map<String, Object> container =
        at(only(manifests, "Deployment"), "spec", "template", "spec", "containers", 0);
    List<Map<String, Object>> env = at(container, "env");
    Map<String, Object> password =
        env.stream().filter(e -> e.get("name").equals("REDIS_PASSWORD")).findFirst().orElseThrow();
    assertThat((Map<String, Object>) at(password, "valueFrom", "secretKeyRef"))
        .isEqualTo(Map.of("name", "redis", "key", "redis-password"));

    Map<String, Object> named =
        at(render("cache", "redis.release", "cache").get("ConfigMap/cache-switchboard"), "data");
    assertThat((String) named.get("REDIS_SENTINEL_HOSTS"))
        .as("a release not named redis: Bitnami names it release-redis")
        .startsWith("cache-redis-node-0.cache-redis-headless:26379,");
  }

  @Test
  void everyVariableItSetsIsOneTheProxyReads() throws IOException {
    Map<String, Map<String, Object>> manifests = render("proxy");
    Set<String> names = new HashSet<>();
    Map<String, Object> data = at(manifests.get("ConfigMap/proxy-switchboard"), "data");
    names.addAll(data.keySet());
    List<Map<String, Object>> env =
        at(only(manifests, "Deployment"), "spec", "template", "spec", "containers", 0, "env");
    env.stream()
        .map(e -> (String) e.get("name"))
        .filter(name -> !name.equals("JAVA_TOOL_OPTIONS")) // the JVM's own
        .forEach(names::add);
    DeploymentFilesTest.assertReferenceConfReads(names);
  }

  @Test
  void aChangedConfigFileIsReloadedInPlaceAndAChangedEnvironmentRollsThePods() {
    Map<String, Map<String, Object>> manifests = render("proxy");
    Map<String, Object> file = at(manifests.get("ConfigMap/proxy-switchboard-file"), "data");
    ConfigFactory.parseString((String) file.get("switchboard.conf")); // valid HOCON
    Map<String, Object> pod = at(only(manifests, "Deployment"), "spec", "template", "spec");
    List<Map<String, Object>> mounts = at(pod, "containers", 0, "volumeMounts");
    assertThat(mounts)
        .as("mounted as a directory: a subPath mount never sees the kubelet's update")
        .anySatisfy(
            m -> {
              assertThat(m).containsEntry("mountPath", "/etc/switchboard");
              assertThat(m).doesNotContainKey("subPath");
            });
    assertThat((String) at(pod, "volumes", 0, "configMap", "name"))
        .isEqualTo("proxy-switchboard-file");

    Object template = podTemplate(render("proxy"));
    assertThat(podTemplate(render("proxy", "config", "switchboard.routing.deny = [KEYS]")))
        .as("a new HOCON file changes no pod: the running proxies reload it")
        .isEqualTo(template);
    assertThat(podTemplate(render("proxy", "logFormat", "text")))
        .as("a new environment is read only at start: the pods roll")
        .isNotEqualTo(template);
  }

  private static Object podTemplate(Map<String, Map<String, Object>> manifests) {
    return at(only(manifests, "Deployment"), "spec", "template");
  }

  @Test
  void probesPortsGraceAndSelectorsMatchTheProxy() {
    Map<String, Map<String, Object>> manifests = render("proxy");
    Map<String, Object> deployment = only(manifests, "Deployment");
    Map<String, Object> pod = at(deployment, "spec", "template", "spec");
    Map<String, Object> container = at(pod, "containers", 0);
    assertThat((List<Map<String, Object>>) at(container, "ports"))
        .contains(
            Map.of("name", "redis", "containerPort", DEFAULTS.listen().port()),
            Map.of("name", "admin", "containerPort", DEFAULTS.admin().endpoint().port()));
    assertThat((String) at(container, "readinessProbe", "httpGet", "path"))
        .isEqualTo("/health/ready");
    assertThat((String) at(container, "livenessProbe", "httpGet", "path"))
        .isEqualTo("/health/live");
    assertThat((String) at(container, "livenessProbe", "httpGet", "port")).isEqualTo("admin");
    List<String> preStop = at(container, "lifecycle", "preStop", "exec", "command");
    int grace = at(pod, "terminationGracePeriodSeconds");
    assertThat(grace)
        .as("preStop + server.shutdown-timeout must fit in the grace period")
        .isGreaterThan(
            Integer.parseInt(preStop.get(1))
                + (int) DEFAULTS.server().shutdownTimeout().toSeconds());
    assertThat((Map<String, Object>) at(container, "resources")).containsKeys("requests", "limits");
    assertThat((Object) at(pod, "affinity", "podAntiAffinity")).isNotNull();
    assertThat((String) at(container, "env", 0, "value"))
        .contains("-Dconfig.file=/etc/switchboard/switchboard.conf");

    Map<String, String> labels = at(deployment, "spec", "template", "metadata", "labels");
    assertThat((Map<String, String>) at(deployment, "spec", "selector", "matchLabels"))
        .isEqualTo(labels);
    assertThat((Map<String, String>) at(only(manifests, "Service"), "spec", "selector"))
        .isEqualTo(labels);
    assertThat(
            (Map<String, String>)
                at(only(manifests, "PodDisruptionBudget"), "spec", "selector", "matchLabels"))
        .isEqualTo(labels);
    assertThat((List<Map<String, Object>>) at(only(manifests, "Service"), "spec", "ports"))
        .contains(Map.of("name", "redis", "port", 6379, "targetPort", "redis"));
    assertThat(only(manifests, "HorizontalPodAutoscaler")).isNull();
    assertThat(only(manifests, "ServiceMonitor")).isNull();
  }

  @Test
  void clusterModePointsAtABitnamiRedisClusterRelease() {
    Map<String, Map<String, Object>> manifests = render("proxy", "redis.mode", "cluster");
    Map<String, Object> data = at(manifests.get("ConfigMap/proxy-switchboard"), "data");
    assertThat(data).doesNotContainKeys("REDIS_SENTINEL_HOSTS", "REDIS_SENTINEL_MASTER");
    assertThat(((String) data.get("REDIS_CLUSTER_NODES")).split(","))
        .hasSize(6)
        .allMatch(host -> host.matches("redis-cluster-\\d\\.redis-cluster-headless:6379"));
    List<Map<String, Object>> env =
        at(only(manifests, "Deployment"), "spec", "template", "spec", "containers", 0, "env");
    Map<String, Object> password =
        env.stream().filter(e -> e.get("name").equals("REDIS_PASSWORD")).findFirst().orElseThrow();
    assertThat((String) at(password, "valueFrom", "secretKeyRef", "name"))
        .as("the redis-cluster release's Secret")
        .isEqualTo("redis-cluster");
  }

  @Test
  void autoscalingAndPrometheusOperatorObjectsRenderWhenAsked() {
    Map<String, Map<String, Object>> manifests =
        render(
            "proxy",
            "autoscaling.enabled",
            "true",
            "metrics.serviceMonitor.enabled",
            "true",
            "metrics.podMonitor.enabled",
            "true");
    assertThat((Object) at(only(manifests, "Deployment"), "spec", "replicas"))
        .as("the autoscaler owns the count")
        .isNull();
    assertThat(
            (String)
                at(only(manifests, "HorizontalPodAutoscaler"), "spec", "scaleTargetRef", "name"))
        .isEqualTo(at(only(manifests, "Deployment"), "metadata", "name"));
    Map<String, Object> endpoint = at(only(manifests, "ServiceMonitor"), "spec", "endpoints", 0);
    assertThat(endpoint).containsEntry("port", "admin").containsEntry("path", "/metrics");
    Map<String, Object> podEndpoint =
        at(only(manifests, "PodMonitor"), "spec", "podMetricsEndpoints", 0);
    assertThat(podEndpoint).containsEntry("port", "admin").containsEntry("path", "/metrics");
  }

  @Test
  void theDashboardShipsAsASidecarConfigMapIdenticalToTheComposeOne() throws IOException {
    Map<String, Object> dashboard = render("proxy").get("ConfigMap/proxy-switchboard-dashboard");
    assertThat((Map<String, String>) at(dashboard, "metadata", "labels"))
        .containsEntry("grafana_dashboard", "1");
    String json = at(dashboard, "data", "switchboard.json");
    assertThat((Object) new Yaml().load(json)).as("JSON, a subset of YAML, parses").isNotNull();
    // One dashboard: AdminEndpointIT checks the compose copy's metrics against /metrics.
    assertThat(json.strip())
        .isEqualTo(
            Files.readString(Path.of("..", "docker", "grafana", "dashboards", "switchboard.json"))
                .strip());
    assertThat(new ArrayList<>(DeploymentFilesTest.dashboardMetrics())).isNotEmpty();
  }
}
