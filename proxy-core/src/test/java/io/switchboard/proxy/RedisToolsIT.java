package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisBinary;
import io.switchboard.proxy.demo.RespClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * redis-cli and redis-benchmark through the proxy (skipped where Redis's tools are not installed),
 * and the embedded redis-server a machine with only a JDK runs.
 */
class RedisToolsIT {

  @Test
  void redisCliSetsAndGetsThroughTheProxy() throws Exception {
    assumeTrue(onPath("redis-cli"), "redis-cli is not installed");
    try (TestProxy proxy = TestProxy.start(SharedTopology.get(), "")) {
      awaitPrimary(proxy);
      String port = Integer.toString(proxy.port());
      assertThat(run("redis-cli", "-p", port, "SET", "it:cli", "from redis-cli")).isEqualTo("OK");
      assertThat(run("redis-cli", "-p", port, "GET", "it:cli")).isEqualTo("from redis-cli");
      assertThat(run("redis-cli", "-p", port, "DEL", "it:cli")).isEqualTo("1");
    }
  }

  @Test
  void redisBenchmarkRunsPipelinedWithoutErrors() throws Exception {
    assumeTrue(onPath("redis-benchmark"), "redis-benchmark is not installed");
    try (TestProxy proxy = TestProxy.start(SharedTopology.get(), "")) {
      awaitPrimary(proxy);
      String output =
          run(
              "redis-benchmark",
              "-p",
              Integer.toString(proxy.port()),
              "-q",
              "-t",
              "set,get,incr,lpush,lrange_100",
              "-P",
              "16",
              "-n",
              "10000",
              "-c",
              "20");
      List<String> results = output.lines().filter(l -> l.contains("requests per second")).toList();
      assertThat(results)
          .extracting(l -> l.substring(0, l.indexOf(':')).trim())
          .contains("SET", "GET", "INCR", "LPUSH", "LRANGE_100 (first 100 elements)");
      assertThat(output.toLowerCase()).doesNotContain("error");
    }
  }

  @Test
  void theEmbeddedRedisServerRunsATopologyTheProxyServes() throws Exception {
    RedisBinary embedded = RedisBinary.embedded();
    assertThat(embedded.version()).isEqualTo("7.0.15");
    try (LocalTopology topology = LocalTopology.start(embedded, 1, 1);
        TestProxy proxy = TestProxy.start(topology, "")) {
      awaitPrimary(proxy);
      try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
        assertThat(client.call("SET", "it:embedded", "7.0")).isEqualTo("OK");
        assertThat(client.call("GET", "it:embedded")).isEqualTo("7.0");
      }
    }
  }

  private static void awaitPrimary(TestProxy proxy) throws Exception {
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "OK".equals(client.call("SET", "it:tools:ready", "1")));
    }
  }

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  static String run(String... command) throws Exception {
    Process process =
        new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output.strip();
  }
}
