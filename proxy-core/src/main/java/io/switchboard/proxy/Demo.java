package io.switchboard.proxy;

import io.switchboard.config.ClusterConfig;
import io.switchboard.config.SentinelConfig;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisBinary;
import io.switchboard.proxy.demo.RedisNode;
import java.util.List;
import java.util.Properties;

/**
 * {@code java -jar switchboard.jar demo}: starts a primary, two replicas and three Sentinels on
 * loopback, points the proxy at those Sentinels, and runs until interrupted, stopping every process
 * on the way out. {@code demo --cluster} does the same with a Redis Cluster of three primaries and
 * three replicas.
 */
public final class Demo {

  private Demo() {}

  /**
   * The system properties a demo loads its configuration with: the user's, with the discovery
   * settings of the mode the demo runs in (the environment's own are overridden: the demo starts
   * its own servers). The seed given here only passes validation; the demo's servers replace it.
   */
  public static Properties settings(Properties system, boolean cluster) {
    Properties settings = new Properties();
    settings.putAll(system);
    settings.setProperty("switchboard.sentinel.hosts", cluster ? "" : "127.0.0.1:26379");
    settings.setProperty("switchboard.cluster.nodes", cluster ? "127.0.0.1:7000" : "");
    return settings;
  }

  public static void runCluster(SwitchboardConfig config) throws Exception {
    System.out.println("Starting a local Redis Cluster (3 primaries, 3 replicas)...");
    LocalCluster cluster = LocalCluster.start(RedisBinary.forDemo(System.out::println), 3, 1);
    SwitchboardServer server =
        new SwitchboardServer(
            config.withCluster(
                new ClusterConfig(
                    cluster.seeds(),
                    config.cluster().refreshInterval(),
                    config.cluster().order())));
    int port = start(server, cluster);
    System.out.printf(
        """

        Switchboard demo is running in cluster mode (redis-server %s from %s).
          proxy      127.0.0.1:%d   <- point any Redis client here, cluster-aware or not
          primaries  %s
          replicas   %s
        Try:  redis-cli -p %d mset a 1 b 2 c 3  &&  redis-cli -p %d mget a b c
        Ctrl-C stops the proxy and every Redis process it started.
        %n""",
        cluster.binary().version(),
        cluster.binary().path(),
        port,
        addresses(cluster.primaries()),
        addresses(cluster.replicas()),
        port,
        port);
    Thread.currentThread().join();
  }

  /**
   * Starts the proxy in front of the demo's servers; both stop together, on the way out or when the
   * proxy cannot start.
   */
  private static int start(SwitchboardServer server, AutoCloseable servers) throws Exception {
    int port;
    try {
      port = server.start();
    } catch (Exception e) {
      server.close();
      servers.close();
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  try {
                    servers.close();
                  } catch (Exception e) {
                    System.err.println("Stopping the demo's servers: " + e);
                  }
                },
                "switchboard-demo-shutdown"));
    return port;
  }

  private static String addresses(List<RedisNode> nodes) {
    return String.join(", ", nodes.stream().map(n -> n.address().toString()).toList());
  }

  public static void run(SwitchboardConfig config) throws Exception {
    System.out.println(
        "Starting a local Sentinel topology (1 primary, 2 replicas, 3 Sentinels)...");
    LocalTopology topology = LocalTopology.start(RedisBinary.forDemo(System.out::println), 2, 3);
    SentinelConfig sentinel = config.sentinel();
    SwitchboardConfig demoConfig =
        config.withSentinel(
            new SentinelConfig(
                topology.sentinelAddresses(),
                LocalTopology.MASTER,
                sentinel.credentials(),
                sentinel.timeout(),
                sentinel.reconcileInterval(),
                sentinel.retryMin(),
                sentinel.retryMax(),
                sentinel.tls()));
    SwitchboardServer server = new SwitchboardServer(demoConfig);
    int port = start(server, topology);
    System.out.printf(
        """

        Switchboard demo is running (redis-server %s from %s).
          proxy      127.0.0.1:%d   <- point any Redis client here
          primary    %s
          replicas   %s, %s
          sentinels  %s
        Try:  redis-cli -p %d set greeting hello  &&  redis-cli -p %d get greeting
        Ctrl-C stops the proxy and every Redis process it started.
        %n""",
        topology.binary().version(),
        topology.binary().path(),
        port,
        topology.primary().address(),
        topology.replicas().get(0).address(),
        topology.replicas().get(1).address(),
        topology.sentinelAddresses(),
        port,
        port);
    Thread.currentThread().join();
  }
}
