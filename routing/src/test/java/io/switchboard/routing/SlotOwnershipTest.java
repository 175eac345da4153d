package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotOwnershipTest {

  /** Redis 7's CLUSTER NODES of a 2+1 cluster, asked of node a, which is migrating slot 93. */
  private static final String MIGRATING =
      "a 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-92 94-8191 [93->-b]\n"
          + "b 127.0.0.1:7001@17001 master - 0 1700000000000 2 connected 93 8192-16383\n"
          + "c 127.0.0.1:7002@17002 slave a 0 1700000000000 1 connected\n";

  private static Topology topology(List<SlotRange> aSlots, List<SlotRange> bSlots) {
    HostAndPort a = new HostAndPort("127.0.0.1", 7000);
    HostAndPort b = new HostAndPort("127.0.0.1", 7001);
    return new Topology(
        Topology.bySlot(
            List.of(
                new Shard("a", a, List.of(), aSlots, -1, false),
                new Shard("b", b, List.of(), bSlots, -1, false))),
        null);
  }

  @Test
  void aTopologyAndTheClusterNodesThatSayTheSameAreEqual() {
    Topology same =
        topology(
            List.of(new SlotRange(94, 8191), new SlotRange(0, 92)),
            List.of(new SlotRange(93, 93), new SlotRange(8192, 16383)));
    assertThat(SlotOwnership.ofClusterNodes(MIGRATING)).isEqualTo(SlotOwnership.of(same));
  }

  @Test
  void aSlotThatChangedHandsMakesThemDiffer() {
    Topology before =
        topology(List.of(new SlotRange(0, 8191)), List.of(new SlotRange(8192, 16383)));
    assertThat(SlotOwnership.ofClusterNodes(MIGRATING)).isNotEqualTo(SlotOwnership.of(before));
  }

  @Test
  void migrationMarkersAreSeenAndAreNotOwnership() {
    assertThat(SlotOwnership.migrationUnderway(MIGRATING)).isTrue();
    String importing = MIGRATING.replace("[93->-b]", "").replace(" 93 ", " 93 [94-<-a] ");
    assertThat(SlotOwnership.migrationUnderway(importing)).isTrue();
    assertThat(SlotOwnership.migrationUnderway(MIGRATING.replace(" [93->-b]", ""))).isFalse();
    assertThat(SlotOwnership.ofClusterNodes(importing).byNode().get("b"))
        .containsExactly(new SlotRange(93, 93), new SlotRange(8192, 16383));
  }
}
