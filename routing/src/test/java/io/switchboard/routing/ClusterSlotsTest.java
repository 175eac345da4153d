package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSlotsTest {

  private static List<Object> node(int port, String id) {
    return List.of("10.0.0.9", (long) port, id, List.of());
  }

  @Test
  void rangesOfOnePrimaryMakeOneShardWithItsReplicas() {
    Topology topology =
        ClusterSlots.parse(
            List.of(
                List.of(0L, 100L, node(7000, "a"), node(7003, "a1")),
                List.of(101L, 199L, node(7001, "b")),
                List.of(301L, 16383L, node(7001, "b")),
                List.of(200L, 300L, node(7000, "a"), node(7003, "a1"))));
    assertThat(topology.shards()).hasSize(2);
    Shard a = topology.shardFor(250);
    assertThat(a.name()).isEqualTo("a");
    assertThat(a.primary()).isEqualTo(new HostAndPort("10.0.0.9", 7000));
    assertThat(a.replicas()).containsExactly(new HostAndPort("10.0.0.9", 7003));
    assertThat(a.slots()).containsExactly(new SlotRange(0, 100), new SlotRange(200, 300));
    assertThat(topology.shardFor(16383).primary().port()).isEqualTo(7001);
    assertThat(topology.shardFor(16383).failoverUnderway()).isFalse();
  }

  @Test
  void shardsAreInTheOrderOfTheirSlotsWhicheverNodeAnswered() {
    Topology one =
        ClusterSlots.parse(
            List.of(List.of(8192L, 16383L, node(7001, "b")), List.of(0L, 8191L, node(7000, "a"))));
    Topology other =
        ClusterSlots.parse(
            List.of(List.of(0L, 8191L, node(7000, "a")), List.of(8192L, 16383L, node(7001, "b"))));
    assertThat(one).isEqualTo(other);
    assertThat(one.only().name()).as("the first shard holds slot 0").isEqualTo("a");
  }

  @Test
  void anEmptyAnswerIsNoTopology() {
    assertThatThrownBy(() -> ClusterSlots.parse(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
