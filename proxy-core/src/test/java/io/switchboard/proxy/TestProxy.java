package io.switchboard.proxy;

import static org.awaitility.Awaitility.await;

import io.switchboard.config.ConfigLoader;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.reload.ReloadResult;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import redis.clients.jedis.Jedis;

/** A Switchboard running in the test JVM (so Netty's leak detector watches it) on a free port. */
final class TestProxy implements AutoCloseable {

  private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  /**
   * Two event loops on any machine (the default is one per two cores, so one on a 2-core CI box):
   * the paths between loops (pub/sub fan-out, CLIENT KILL and LIST, tracking redirects, proxy-wide
   * budgets) then run in every test. A test's own setting comes later and wins.
   */
  private static final String TWO_LOOPS = "switchboard.server.io-threads = 2\n";

  private final SwitchboardServer server;
  private final int port;

  private TestProxy(SwitchboardServer server, int port) {
    this.server = server;
    this.port = port;
  }

  static TestProxy start(LocalTopology topology, String extraHocon) throws InterruptedException {
    return start(topology.sentinelAddresses(), extraHocon);
  }

  /** A proxy in cluster mode in front of {@code cluster}. */
  static TestProxy cluster(io.switchboard.proxy.demo.LocalCluster cluster, String extraHocon)
      throws InterruptedException {
    String seeds =
        cluster.seeds().stream()
            .map(h -> "\"" + h + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
    String hocon =
        TWO_LOOPS
            + "switchboard.listen.host = 127.0.0.1\n"
            + "switchboard.listen.port = 0\n"
            + "switchboard.admin.host = 127.0.0.1\n"
            + "switchboard.admin.port = 0\n"
            + "switchboard.cluster.nodes = "
            + seeds
            + "\n"
            + extraHocon;
    SwitchboardServer server = new SwitchboardServer(ConfigLoader.parse(hocon));
    return new TestProxy(server, server.start());
  }

  static TestProxy start(List<HostAndPort> sentinels, String extraHocon)
      throws InterruptedException {
    SwitchboardServer server =
        new SwitchboardServer(ConfigLoader.parse(sentinelHocon(sentinels) + extraHocon));
    return new TestProxy(server, server.start());
  }

  /**
   * A proxy whose configuration file reads, at start and at each {@link #reload}, what {@code file}
   * supplies then (laid over the shared topology's Sentinels).
   */
  static TestProxy reloadable(LocalTopology topology, Supplier<String> file)
      throws InterruptedException {
    String base = sentinelHocon(topology.sentinelAddresses());
    SwitchboardServer server =
        new SwitchboardServer(
            ConfigLoader.parse(base + file.get()),
            () -> ConfigLoader.parse(base + file.get()),
            null);
    return new TestProxy(server, server.start());
  }

  /** Reads the configuration again, as SIGHUP does. */
  ReloadResult reload() {
    return server.reload("test");
  }

  private static String sentinelHocon(List<HostAndPort> sentinels) {
    String hosts =
        sentinels.stream().map(h -> "\"" + h + "\"").collect(Collectors.joining(", ", "[", "]"));
    return TWO_LOOPS
        + "switchboard.listen.host = 127.0.0.1\n"
        + "switchboard.listen.port = 0\n"
        + "switchboard.admin.host = 127.0.0.1\n"
        + "switchboard.admin.port = 0\n"
        + "switchboard.sentinel.hosts = "
        + hosts
        + "\n"
        + "switchboard.sentinel.master = "
        + LocalTopology.MASTER
        + "\n";
  }

  int port() {
    return port;
  }

  int adminPort() {
    return server.adminPort();
  }

  /** Every listener's bound port, the main one first. */
  List<Integer> ports() {
    return server.ports();
  }

  HostAndPort address() {
    return new HostAndPort("127.0.0.1", port);
  }

  /** Waits until writes go through {@code client} (already logged in, when the proxy asks). */
  static void awaitWrites(RespClient client) {
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> "OK".equals(client.call("SET", "it:ready", "1")));
  }

  /** A Lettuce client for this proxy that logs in as {@code user} (HELLO 3 AUTH); shut it down. */
  io.lettuce.core.RedisClient lettuceAs(String user, String password) {
    return io.lettuce.core.RedisClient.create(
        io.lettuce.core.RedisURI.builder()
            .withHost("127.0.0.1")
            .withPort(port)
            .withAuthentication(user, password)
            .build());
  }

  /** Waits until the proxy has found the primary through Sentinel and writes go through. */
  void awaitPrimary() {
    try (Jedis jedis = jedis()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "OK".equals(jedis.set("it:ready", "1")));
    }
  }

  /**
   * Writes {@code key} through {@code client} until a value lands on {@code node}: after a
   * failover, proof that the proxy sends writes to the new primary (the old one does not replicate
   * to it).
   */
  static void awaitWritesReach(RespClient client, RedisNode node, String key) {
    int[] attempt = {0};
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              String value = "v" + attempt[0]++;
              return "OK".equals(client.call("SET", key, value))
                  && value.equals(node.call("GET", key));
            });
  }

  /** The body of a GET on the admin endpoint, e.g. {@code "/metrics"}. */
  String admin(String path) throws java.io.IOException, InterruptedException {
    return HTTP.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + adminPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The sum of the Prometheus series whose lines start with {@code prefix}, from /metrics. */
  double metric(String prefix) throws java.io.IOException, InterruptedException {
    return admin("/metrics")
        .lines()
        .filter(line -> line.startsWith(prefix))
        .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** The text of an error reply; fails the test when the reply is not an error. */
  static String errorOf(Object reply) {
    org.assertj.core.api.Assertions.assertThat(reply)
        .isInstanceOf(io.switchboard.proxy.resp.RespValue.Error.class);
    return ((io.switchboard.proxy.resp.RespValue.Error) reply).message();
  }

  Jedis jedis() {
    return new Jedis("127.0.0.1", port, 10_000);
  }

  @Override
  public void close() {
    server.close();
  }
}
