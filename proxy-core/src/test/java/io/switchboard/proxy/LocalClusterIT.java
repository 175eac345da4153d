package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.routing.ClusterShards;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cluster fixture is a real Redis Cluster, and routing reads it as the servers do: three shards
 * covering every slot, keys hashed to the slots Redis hashes them to.
 */
class LocalClusterIT {

  private static LocalCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void clusterShardsReadsAsThreeShardsWithTheFixturesPrimariesAndReplicas() throws Exception {
    Topology topology =
        ClusterShards.parse((List<?>) cluster.nodes().get(0).call("CLUSTER", "SHARDS"));
    assertThat(topology.shards()).hasSize(3);
    for (int slot : new int[] {0, 5000, 5461, 10922, 16383}) {
      assertThat(topology.shardFor(slot)).as("slot %d", slot).isNotNull();
    }
    assertThat(topology.shards())
        .extracting(Shard::primary)
        .containsExactlyInAnyOrderElementsOf(
            cluster.primaries().stream().map(RedisNode::address).toList());
    assertThat(topology.shards()).allSatisfy(shard -> assertThat(shard.replicas()).hasSize(1));
  }

  @Test
  void keySlotsAreTheServersOwn() throws Exception {
    RedisNode any = cluster.nodes().get(0);
    for (String key : List.of("foo", "user:1000", "{user1000}.following", "a{b}c", "{}x", "ü")) {
      assertThat((long) KeySlot.of(key)).as(key).isEqualTo(any.call("CLUSTER", "KEYSLOT", key));
    }
  }

  @Test
  void aKeyIsServedByTheShardThatOwnsItsSlotAndMovedElsewhere() throws Exception {
    Topology topology =
        ClusterShards.parse((List<?>) cluster.nodes().get(0).call("CLUSTER", "SHARDS"));
    Shard owner = topology.shardFor(KeySlot.of("it:cluster:key"));
    RedisNode ownerNode =
        cluster.primaries().stream()
            .filter(n -> n.address().equals(owner.primary()))
            .findFirst()
            .orElseThrow();
    RedisNode other =
        cluster.primaries().stream().filter(n -> n != ownerNode).findFirst().orElseThrow();
    assertThat(ownerNode.call("SET", "it:cluster:key", "v")).isEqualTo("OK");
    assertThat(String.valueOf(other.call("GET", "it:cluster:key")))
        .startsWith("Error[message=MOVED");
  }
}
