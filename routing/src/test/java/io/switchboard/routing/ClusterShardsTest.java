package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterShardsTest {

  private static List<Object> node(String id, int port, String role, String health) {
    return List.of(
        "id",
        id,
        "port",
        (long) port,
        "ip",
        "10.0.0.9",
        "endpoint",
        "10.0.0.9",
        "role",
        role,
        "replication-offset",
        100L,
        "health",
        health);
  }

  private static List<Object> shard(List<Long> slots, List<?>... nodes) {
    return List.of("slots", slots, "nodes", List.of(nodes));
  }

  @Test
  void eachShardWithSlotsBecomesOneWithItsPrimaryAndReplicasThatHaveNotFailed() {
    Topology topology =
        ClusterShards.parse(
            List.of(
                shard(
                    List.of(0L, 8191L),
                    node("a", 7001, "master", "online"),
                    node("b", 7002, "replica", "online"),
                    node("c", 7003, "replica", "failed"),
                    node("f", 7006, "replica", "loading")),
                shard(List.of(8192L, 10000L, 10001L, 16383L), node("d", 7004, "master", "online")),
                shard(List.of(), node("e", 7005, "master", "online"))));
    assertThat(topology.shards()).hasSize(2);
    Shard low = topology.shardFor(100);
    assertThat(low.name()).isEqualTo("a");
    assertThat(low.primary()).isEqualTo(new HostAndPort("10.0.0.9", 7001));
    assertThat(low.replicas())
        .as("a failed replica is left out; loading is Redis 7.0's word for offset 0")
        .containsExactly(new HostAndPort("10.0.0.9", 7002), new HostAndPort("10.0.0.9", 7006));
    assertThat(topology.shardFor(16383).primary().port()).isEqualTo(7004);
    assertThat(topology.shardFor(10000).slots()).hasSize(2);
  }

  @Test
  void aShardWhosePrimaryFailedWaitsForItsFailover() {
    Topology topology =
        ClusterShards.parse(
            List.of(
                shard(
                    List.of(0L, 16383L),
                    node("a", 7001, "master", "failed"),
                    node("b", 7002, "replica", "online"))));
    assertThat(topology.only().failoverUnderway()).isTrue();
  }

  @Test
  void resp3MapsReadLikeResp2Pairs() {
    Map<String, Object> node =
        Map.of(
            "id",
            "a",
            "port",
            7001L,
            "ip",
            "10.0.0.1",
            "endpoint",
            "?",
            "role",
            "master",
            "health",
            "online");
    Topology topology =
        ClusterShards.parse(List.of(Map.of("slots", List.of(0L, 16383L), "nodes", List.of(node))));
    assertThat(topology.only().primary())
        .as("no endpoint: the IP")
        .isEqualTo(new HostAndPort("10.0.0.1", 7001));
  }
}
