package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shaded jar as an operator runs it: a bad configuration is one clear line, exit code 2. */
class PackagedJarIT {

  private static final Path JAR = Path.of("target", "switchboard.jar");

  @Test
  void anOutOfRangePortStopsStartUpWithOneLineNamingTheKey() throws Exception {
    Result result = run(Map.of(), "-Dswitchboard.listen.port=99999");
    assertThat(result.exitCode).isEqualTo(2);
    assertThat(result.output)
        .isEqualTo(
            "switchboard: configuration error: switchboard.listen.port: 99999 is out of range"
                + " (0-65535)\n");
  }

  @Test
  void aBadSentinelListFromTheEnvironmentIsNamed() throws Exception {
    Result result = run(Map.of("REDIS_SENTINEL_HOSTS", "sentinel-without-port"));
    assertThat(result.exitCode).isEqualTo(2);
    assertThat(result.output)
        .isEqualTo(
            "switchboard: configuration error: switchboard.sentinel.hosts:"
                + " 'sentinel-without-port' is not host:port\n");
  }

  @Test
  void anUnknownKeyIsNamedWithASuggestion() throws Exception {
    Result result = run(Map.of(), "-Dswitchboard.redis.pasword=x");
    assertThat(result.exitCode).isEqualTo(2);
    assertThat(result.output)
        .contains(
            "switchboard.redis.pasword: unknown key (did you mean switchboard.redis.password?)")
        .doesNotContain("Exception");
  }

  @Test
  void logLinesAreJsonWhenAskedFor() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-Dswitchboard.listen.port=0",
            "-Dswitchboard.admin.port=0",
            "-Dswitchboard.sentinel.hosts=127.0.0.1:1",
            "-jar",
            JAR.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("SWITCHBOARD_LOG_FORMAT", "json");
    Process process = builder.start();
    try (var lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String first = lines.readLine();
      assertThat(first)
          .startsWith("{")
          .contains("\"level\":\"INFO\"")
          .contains("\"loggerName\":\"io.switchboard.proxy.SwitchboardServer\"")
          .contains("\"formattedMessage\":\"Switchboard listening on 0.0.0.0:")
          .endsWith("}");
    } finally {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private record Result(int exitCode, String output) {}

  private static Result run(Map<String, String> env, String... jvmArgs)
      throws IOException, InterruptedException {
    assertThat(JAR).as("built by the package phase").exists();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmArgs));
    command.addAll(List.of("-jar", JAR.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the jar did not exit on a bad configuration");
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(process.exitValue(), output);
  }
}
