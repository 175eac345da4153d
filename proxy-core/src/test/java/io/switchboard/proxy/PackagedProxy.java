package io.switchboard.proxy;

import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The packaged jar ({@code target/switchboard.jar}) run as a process of its own against the shared
 * topology: for what needs a real process (signals, resident memory, its own descriptor limit).
 */
final class PackagedProxy {

  private static final Path JAR = Path.of("target", "switchboard.jar");

  private PackagedProxy() {}

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * Starts the jar with {@code jvmArgs} (heap options, {@code -Dswitchboard...} settings) and the
   * shared topology's Sentinels; its output goes to {@code target/<log>}.
   */
  static Process start(String log, List<String> jvmArgs) throws IOException {
    String sentinels =
        SharedTopology.get().sentinelAddresses().stream()
            .map(HostAndPort::toString)
            .collect(Collectors.joining(","));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-Dswitchboard.sentinel.hosts=" + sentinels);
    command.addAll(List.of("-jar", JAR.toString()));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", log).toFile()))
        .start();
  }

  /** Opens a client connection (and logs it in, where the proxy wants that). */
  interface Connect {
    RespClient to(HostAndPort address) throws IOException;
  }

  /** Waits until the proxy on {@code port} has found the primary and accepts writes. */
  static HostAndPort awaitWritable(int port) {
    return awaitWritable(port, address -> RespClient.connect(address, Duration.ofSeconds(2)));
  }

  /** The same, for a client that {@code connect} opens. */
  static HostAndPort awaitWritable(int port, Connect connect) {
    HostAndPort address = new HostAndPort("127.0.0.1", port);
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              try (RespClient probe = connect.to(address)) {
                return "OK".equals(probe.call("SET", "it:packaged", "ready"));
              }
            });
    return address;
  }
}
