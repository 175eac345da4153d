package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RedisBinary;
import io.switchboard.proxy.demo.RespClient;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's run command: {@code java -jar switchboard.jar demo}, as a process of its own. */
class DemoIT {

  private static final Path JAR = Path.of("target", "switchboard.jar");
  private static final Pattern ADDRESS = Pattern.compile("127\\.0\\.0\\.1:(\\d+)");

  @Test
  void anOldRedisOnThePathIsPassedOverAndAKilledDemoLeavesNoRedisRunning(@TempDir Path dir)
      throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path oldRedis = bin.resolve("redis-server");
    Files.writeString(oldRedis, "#!/bin/sh\necho 'Redis server v=6.2.6 sha=00000000:0'\n");
    Files.setPosixFilePermissions(oldRedis, PosixFilePermissions.fromString("rwxr-xr-x"));

    ProcessBuilder builder = demo(dir, "demo");
    builder
        .environment()
        .merge("PATH", bin.toString(), (path, first) -> first + File.pathSeparator + path);
    Path log = dir.resolve("demo.log");
    Process demo = builder.redirectOutput(log.toFile()).start();
    List<Integer> ports = new ArrayList<>();
    try {
      List<String> output = started(demo, log, ports);
      assertThat(output)
          .as("the demo's output")
          .contains(
              oldRedis
                  + " is Redis 6.2.6, older than the 7.0 the demo needs; using the embedded"
                  + " Redis 7.0.15 instead.")
          .anyMatch(l -> l.startsWith("Switchboard demo is running (redis-server 7.0.15 from"));
      assertThat(ports).as("proxy, primary, two replicas, three Sentinels").hasSize(7);

      HostAndPort proxy = new HostAndPort("127.0.0.1", ports.get(0));
      try (RespClient client = RespClient.connect(proxy, Duration.ofSeconds(5))) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> "OK".equals(client.call("SET", "it:demo", "hello")));
        assertThat(client.call("GET", "it:demo")).isEqualTo("hello");
      }
    } finally {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    // SIGKILL runs no shutdown hook: only the watchdog can have stopped them.
    for (int port : ports.subList(1, ports.size())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .alias("redis-server on port " + port + " after the demo was killed")
          .until(() -> !accepts(port));
    }
  }

  @Test
  void theClusterDemoFrontsThreeShardsAndStopsThemOnTheWayOut(@TempDir Path dir) throws Exception {
    ProcessBuilder builder = demo(dir, "demo", "--cluster");
    // The user's own Sentinel setting does not stop the demo, which runs its own servers.
    builder.environment().put("REDIS_SENTINEL_HOSTS", "sentinel-0:26379");
    Path log = dir.resolve("demo.log");
    Process demo = builder.redirectOutput(log.toFile()).start();
    List<Integer> ports = new ArrayList<>();
    try {
      List<String> output = started(demo, log, ports);
      assertThat(output)
          .as("the demo's output")
          .anyMatch(l -> l.startsWith("Switchboard demo is running in cluster mode"));
      assertThat(ports).as("proxy, three primaries, three replicas").hasSize(7);
      HostAndPort proxy = new HostAndPort("127.0.0.1", ports.get(0));
      try (RespClient client = RespClient.connect(proxy, Duration.ofSeconds(5))) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> "OK".equals(client.call("MSET", "a", "1", "b", "2", "c", "3")));
        assertThat(client.call("MGET", "a", "b", "c")).isEqualTo(List.of("1", "2", "3"));
      }
    } finally {
      demo.destroy(); // SIGTERM: the shutdown hook stops the proxy and the cluster
      assertThat(demo.waitFor(30, TimeUnit.SECONDS)).as("the demo exits on SIGTERM").isTrue();
    }
    for (int port : ports.subList(1, ports.size())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .alias("redis-server on port " + port + " after the demo stopped")
          .until(() -> !accepts(port));
    }
  }

  /**
   * The packaged jar run as {@code args}, on free ports, with no Redis named by the environment.
   */
  private static ProcessBuilder demo(Path dir, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A SIGKILLed demo leaves its folder; JUnit deletes this one.
                "-Djava.io.tmpdir=" + dir,
                "-Dswitchboard.listen.port=0",
                "-Dswitchboard.admin.port=0",
                "-jar",
                JAR.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove(RedisBinary.ENV);
    return builder;
  }

  /**
   * Waits for the demo to say it runs, and collects the ports it printed (the proxy's first); its
   * output goes to a file, so the demo never blocks on a pipe nobody reads.
   */
  private static List<String> started(Process demo, Path log, List<Integer> ports)
      throws IOException {
    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> !demo.isAlive() || Files.readString(log).contains("Ctrl-C stops"));
    List<String> output = Files.readAllLines(log);
    for (String line : output) {
      if (line.contains("<- point any Redis client here")
          || line.matches("  (primary|primaries|replicas|sentinels) .*")) {
        Matcher m = ADDRESS.matcher(line);
        while (m.find()) {
          ports.add(Integer.parseInt(m.group(1)));
        }
      }
    }
    return output;
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
