package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
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
        TestProxy proxy = followingEventsOnly(topology);
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      RedisNode oldPrimary = topology.primary();
      RedisNode replica = topology.replicas().get(0);
      assertThat(topology.sentinels().get(0).call("SENTINEL", "FAILOVER", LocalTopology.MASTER))
          .isEqualTo("OK");
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptionsInstanceOf(IOException.class) // CLIENT KILL at reconfiguration
          .until(() -> ((List<?>) replica.call("ROLE")).get(0).equals("master"));
      // A write that reaches the promoted replica went there through the proxy: the old
      // primary does not replicate to it.
      TestProxy.awaitWritesReach(client, replica, "it:after-failover");
      assertThat(oldPrimary.address()).isNotEqualTo(replica.address());
    }
  }

  /**
   * Writes move when the leader has promoted the replica, not when its failover ends. The only
   * Sentinel is the leader, whose MASTER entry names the old primary until every other replica has
   * followed (two of its INFO rounds, a second apart, at least): a proxy that waited for that would
   * still hold writes when the check below runs.
   */
  @Test
  void writesMoveAtThePromotionNotAtTheEndOfTheFailover() throws Exception {
    try (LocalTopology topology = LocalTopology.start(2, 1);
        TestProxy proxy = followingEventsOnly(topology);
        RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      RedisNode leader = topology.sentinels().get(0);
      assertThat(leader.call("SENTINEL", "FAILOVER", LocalTopology.MASTER)).isEqualTo("OK");
      RedisNode promoted =
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(5))
              // Sentinel ends its REPLICAOF with CLIENT KILL TYPE normal: a ROLE poll open then is
              // reset, and the next poll asks again.
              .ignoreExceptionsInstanceOf(IOException.class)
              .until(() -> promotedReplica(topology), java.util.Objects::nonNull);
      // Not at awaitility's pace (its first poll comes 100 ms late): the gate is closed by now, so
      // a SET waits in the proxy and is answered as soon as writes move; the flags are read then.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int attempt = 0;
      while (!writeReaches(client, promoted, "v" + attempt++)) {
        assertThat(System.nanoTime()).as("writes reach the promoted replica").isLessThan(deadline);
      }
      assertThat(masterFlags(leader))
          .as("the leader's failover is still under way when writes reach the promoted replica")
          .contains("failover_in_progress");
    }
  }

  /**
   * A proxy whose reconcile never comes within a test, so only events move it, once it serves the
   * primary and the Sentinels have settled.
   */
  private static TestProxy followingEventsOnly(LocalTopology topology) throws Exception {
    TestProxy proxy = TestProxy.start(topology, "switchboard.sentinel.reconcile-interval = 1h\n");
    try {
      proxy.awaitPrimary();
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      return proxy; // subscribed to every Sentinel's events before it named the primary
    } catch (Exception | AssertionError e) {
      proxy.close();
      throw e;
    }
  }

  private static boolean writeReaches(RespClient client, RedisNode node, String value)
      throws Exception {
    if (!"OK".equals(client.call("SET", "it:at-promotion", value))) {
      return false;
    }
    try {
      return value.equals(node.call("GET", "it:at-promotion"));
    } catch (IOException killedByReconfiguration) {
      return false; // the node's clients are killed when Sentinel reconfigures it; ask again
    }
  }

  private static RedisNode promotedReplica(LocalTopology topology) throws Exception {
    for (RedisNode node : topology.replicas()) {
      if (((List<?>) node.call("ROLE")).get(0).equals("master")) {
        return node;
      }
    }
    return null;
  }

  private static String masterFlags(RedisNode sentinel) throws Exception {
    List<?> fields = (List<?>) sentinel.call("SENTINEL", "MASTER", LocalTopology.MASTER);
    return String.valueOf(fields.get(fields.indexOf("flags") + 1));
  }
}
