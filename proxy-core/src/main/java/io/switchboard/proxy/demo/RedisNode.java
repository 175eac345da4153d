package io.switchboard.proxy.demo;

import io.switchboard.config.HostAndPort;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} process (data node or Sentinel) on a loopback port, with its config and
 * log in its own folder. Every started process is adopted by {@link ChildProcessReaper}, so none
 * outlives the JVM that started it, whatever the tests did and however the JVM ended.
 */
public final class RedisNode implements AutoCloseable {

  private final String name;
  private final RedisBinary binary;
  private final Path dir;
  private final int port;
  private final int tlsPort;
  private final boolean sentinel;
  private final List<String> config;
  private Process process;
  private final String password;

  RedisNode(String name, RedisBinary binary, Path dir, boolean sentinel, List<String> extraConfig)
      throws IOException {
    this(name, binary, dir, sentinel, extraConfig, null, false);
  }

  /**
   * With {@code password}, the node requires it and this class's own calls give it. With {@code
   * tls}, the node also listens on a TLS port ({@link #tlsPort}; the TLS files are in {@code
   * extraConfig}); this class's own calls use the plain port.
   */
  RedisNode(
      String name,
      RedisBinary binary,
      Path dir,
      boolean sentinel,
      List<String> extraConfig,
      String password,
      boolean tls)
      throws IOException {
    this.password = password;
    this.name = name;
    this.binary = binary;
    this.dir = Files.createDirectories(dir.resolve(name));
    this.port = freePort();
    this.tlsPort = tls ? freePort() : 0;
    this.sentinel = sentinel;
    this.config = new ArrayList<>();
    config.add("port " + port);
    if (tls) {
      config.add("tls-port " + tlsPort);
    }
    config.add("bind 127.0.0.1");
    config.add("dir " + this.dir);
    config.add("daemonize no");
    config.add("protected-mode no");
    config.add("logfile \"\"");
    config.addAll(extraConfig);
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  /** The TLS port, or 0 when the node has none. */
  public int tlsPort() {
    return tlsPort;
  }

  /**
   * Whether {@code port} is one of this node's ports (Sentinel names TLS nodes by their TLS port).
   */
  public boolean listensOn(int port) {
    return port == this.port || (tlsPort != 0 && port == tlsPort);
  }

  public HostAndPort address() {
    return new HostAndPort("127.0.0.1", port);
  }

  public long pid() {
    return process.pid();
  }

  /** Starts the process (again, after a stop or kill) and waits until it answers PING. */
  public void start() throws IOException {
    Path conf = dir.resolve(sentinel ? "sentinel.conf" : "redis.conf");
    if (!Files.exists(conf) || !sentinel) {
      // Sentinel rewrites its own file; keep what it learned across restarts.
      Files.write(conf, config);
    }
    List<String> command = new ArrayList<>(List.of(binary.path().toString(), conf.toString()));
    if (sentinel) {
      command.add("--sentinel");
    }
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("output.log").toFile()))
            .start();
    ChildProcessReaper.adopt(process);
    awaitPing(Duration.ofSeconds(15));
  }

  private void awaitPing(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        // The folder may be gone by the time someone reads the report: the reason goes with it.
        throw new IOException(
            name
                + " exited with "
                + process.exitValue()
                + ": "
                + lastLines(dir.resolve("output.log")));
      }
      try (RespClient client = connect(Duration.ofSeconds(1))) {
        if ("PONG".equals(client.call("PING"))) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      sleep(25);
    }
    throw new IOException(name + " did not answer PING on port " + port, last);
  }

  private static String lastLines(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  /** Sends a command to this node on a fresh connection. */
  public Object call(Object... args) throws IOException {
    try (RespClient client = connect(Duration.ofSeconds(5))) {
      return client.call(args);
    }
  }

  /** A connection to this node, authenticated when the node requires a password. */
  private RespClient connect(Duration timeout) throws IOException {
    RespClient client = RespClient.connect(address(), timeout);
    if (password != null) {
      Object reply = client.call("AUTH", password);
      if (!"OK".equals(reply)) {
        client.close();
        throw new IOException(name + " refused AUTH: " + reply);
      }
    }
    return client;
  }

  /** SIGTERM, then SIGKILL if it has not exited within five seconds. */
  public void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** SIGKILL: the crash of a node. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  /** Sends a signal to the process: STOP freezes it (sockets stay open, nothing answers), CONT. */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + signal + " " + pid() + " failed");
    }
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() {
    stop();
  }

  /**
   * A port free now, below Linux's ephemeral range (32768 and up): a port the kernel hands out for
   * listening can be given to some process's outgoing connection before redis-server binds it
   * ("Address in use", seen in CI); ports below that range are only ever taken by listeners.
   */
  static int freePort() throws IOException {
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
