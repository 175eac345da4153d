package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The replication monitor's pace, read from the servers' own {@code INFO commandstats}: an idle
 * proxy asks each node {@code ROLE} about once per {@code routing.idle-poll-interval} (here 200 ms,
 * so it settles in 2 s), and reads from replicas make it poll every {@code offset-poll-interval}
 * again, the first of them woken at once.
 */
class IdlePollingIT {

  private static LocalTopology topology;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    topology = SharedTopology.get();
    proxy =
        TestProxy.start(
            topology,
            """
            switchboard.routing.consistency = eventual
            switchboard.routing.idle-poll-interval = 200ms
            """);
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private static long roleCalls(RedisNode node) throws IOException {
    return ServerStats.calls(node, "role");
  }

  private static long getCalls(RedisNode node) throws IOException {
    return ServerStats.calls(node, "get");
  }

  @Test
  void anIdleProxyAsksRoleAtTheIdlePaceAndReplicaReadsMakeItFastAgain() throws Exception {
    RedisNode primary = topology.primary();
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(client.call("SET", "it:idle:k", "v")).isEqualTo("OK");
    }
    Thread.sleep(3_000); // the 2 s after the topology arrived, then nobody reads

    long before = roleCalls(primary);
    Thread.sleep(2_000);
    long idle = roleCalls(primary) - before;
    assertThat(idle)
        .as("ROLE on the primary in 2 idle seconds (every 200 ms: about 10; every 5 ms: 400)")
        .isBetween(3L, 25L);

    long replicaGets = 0;
    for (RedisNode replica : topology.replicas()) {
      replicaGets += getCalls(replica);
    }
    before = roleCalls(primary);
    long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      while (System.nanoTime() < until) {
        assertThat(client.call("GET", "it:idle:k")).isEqualTo("v");
      }
    }
    long busy = roleCalls(primary) - before;
    assertThat(busy)
        .as("ROLE on the primary during a second of replica reads (every 5 ms: about 200)")
        .isGreaterThan(50L);
    long replicaGetsAfter = 0;
    for (RedisNode replica : topology.replicas()) {
      replicaGetsAfter += getCalls(replica);
    }
    assertThat(replicaGetsAfter - replicaGets)
        .as("reads reached the replicas once the offsets were fresh again")
        .isPositive();
  }
}
