package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {

  private static final HostAndPort A = new HostAndPort("a", 1);
  private static final HostAndPort B = new HostAndPort("b", 1);

  @Test
  void aSentinelMasterIsOneShardHoldingEverySlot() {
    Topology topology = Topology.sentinel("m", A, List.of(B), 3, false, null);
    assertThat(topology.shards()).hasSize(1);
    assertThat(topology.shardFor(0)).isSameAs(topology.only());
    assertThat(topology.shardFor(KeySlot.SLOTS - 1)).isSameAs(topology.only());
    assertThat(topology.serves(B, false)).isTrue();
    assertThat(topology.serves(B, true)).isFalse();
    assertThat(topology.configEpoch()).isEqualTo(3);
  }

  @Test
  void severalShardsSplitTheSlots() {
    Shard low = new Shard("low", A, List.of(), List.of(new SlotRange(0, 8191)), 1, false);
    Shard high = new Shard("high", B, List.of(), List.of(new SlotRange(8192, 16383)), 1, false);
    Topology cluster = new Topology(List.of(low, high), null);
    assertThat(cluster.shardFor(KeySlot.of("foo"))).isSameAs(high); // slot 12182
    assertThat(cluster.shardFor(KeySlot.of("bar"))).isSameAs(low); // slot 5061
    assertThat(new Topology(List.of(low), null).shardFor(9000)).isNull();
  }

  @Test
  void aFailoverOrADegradedViewIsANewSnapshot() {
    Topology topology = Topology.of("m", A, List.of(B));
    Topology failing = topology.withFailoverUnderway();
    assertThat(failing.failoverUnderway()).isTrue();
    assertThat(topology.failoverUnderway()).isFalse();
    assertThat(topology.degraded("no Sentinel answers").degraded()).isTrue();
    assertThat(Topology.unknown("m", "asking").degraded()).as("no primary: not degraded").isFalse();
  }

  @Test
  void slotRangesAreChecked() {
    assertThatThrownBy(() -> new SlotRange(5, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SlotRange(0, KeySlot.SLOTS))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
