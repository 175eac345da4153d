package io.switchboard.proxy;

import io.switchboard.config.SentinelConfig;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisBinary;

/**
 * {@code java -jar switchboard.jar demo}: starts a primary, two replicas and three Sentinels on
 * loopback, points the proxy at those Sentinels, and runs until interrupted, stopping every process
 * on the way out.
 */
public final class Demo {

  private Demo() {}

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
    int port;
    try {
      port = server.start();
    } catch (Exception e) {
      server.close();
      topology.close();
      throw e;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  topology.close();
                },
                "switchboard-demo-shutdown"));
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
