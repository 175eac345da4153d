package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The proxy follows a failover as Sentinel announces it. The reconcile interval is set to an hour,
 * so only Sentinel's pub/sub events can move the proxy to the new primary within the test.
 */
class SentinelEventsIT {

  @Test
  void aPlannedFailoverIsFollowedFromSentinelsEventsAlone() throws Exception {
    try (LocalTopology topology = LocalTopology.start(1, 1);
        TestProxy proxy =
            TestProxy.start(topology, "switchboard.sentinel.reconcile-interval = 1h\n");
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      proxy.awaitPrimary();
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      RedisNode oldPrimary = topology.primary();
      RedisNode replica = topology.replicas().get(0);
      Thread.sleep(500); // the proxy subscribes right after its first reconcile
      assertThat(topology.sentinels().get(0).call("SENTINEL", "FAILOVER", LocalTopology.MASTER))
          .isEqualTo("OK");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> ((List<?>) replica.call("ROLE")).get(0).equals("master"));
      // A write that reaches the promoted replica went there through the proxy: the old
      // primary does not replicate to it.
      TestProxy.awaitWritesReach(client, replica, "it:after-failover");
      assertThat(oldPrimary.address()).isNotEqualTo(replica.address());
    }
  }
}
