package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.RoutingConfig.Balancing;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaChooserTest {

  private static final HostAndPort PRIMARY = new HostAndPort("p", 1);
  private static final HostAndPort R1 = new HostAndPort("r1", 1);
  private static final HostAndPort R2 = new HostAndPort("r2", 1);
  private static final Shard SHARD = Shard.whole("m", PRIMARY, List.of(R1, R2), 1, false);

  private final Map<HostAndPort, Integer> load = new HashMap<>();

  private static ReplicationSnapshot replication(ReplicaState... replicas) {
    return replicationAt(0, replicas);
  }

  private static ReplicationSnapshot replicationAt(long askedAt, ReplicaState... replicas) {
    return new ReplicationSnapshot(PRIMARY, 100, askedAt, List.of(replicas));
  }

  private static ReplicaState fit(HostAndPort node, long offset) {
    return new ReplicaState(node, offset, 0, null, 0);
  }

  private ReplicaChooser chooser(Balancing balancing) {
    return new ReplicaChooser(
        Balancer.of(balancing, new Random(7)), Duration.ofSeconds(5), FRESHNESS);
  }

  private static final Duration FRESHNESS = Duration.ofMillis(250);

  private HostAndPort pick(
      ReplicaChooser chooser, ReplicationSnapshot snapshot, ReadPolicy policy, long floor) {
    return chooser.pick(SHARD, snapshot, policy, floor, 0, node -> load.getOrDefault(node, 0));
  }

  @Test
  void onlyEligibleReplicasServeReads() {
    ReplicationSnapshot snapshot =
        replication(fit(R1, 100), new ReplicaState(R2, 100, 0, "master_link_status:down", 0));
    for (int i = 0; i < 20; i++) {
      assertThat(pick(chooser(Balancing.ROUND_ROBIN), snapshot, ReadPolicy.PREFER_REPLICA, -1))
          .isEqualTo(R1);
    }
  }

  @Test
  void noReplicaQualifiesGivesNullForTheCallerToDecide() {
    ReplicationSnapshot snapshot = replication(new ReplicaState(R1, 5, 9000, "lags 9000 ms", 0));
    assertThat(pick(chooser(Balancing.LEAST_OUTSTANDING), snapshot, ReadPolicy.REPLICA, -1))
        .isNull();
  }

  @Test
  void aReplicaBelowTheReadFloorIsPassedOver() {
    ReplicationSnapshot snapshot = replication(fit(R1, 90), fit(R2, 120));
    assertThat(pick(chooser(Balancing.ROUND_ROBIN), snapshot, ReadPolicy.PREFER_REPLICA, 100))
        .isEqualTo(R2);
    assertThat(
            pick(
                chooser(Balancing.ROUND_ROBIN),
                snapshot,
                ReadPolicy.PREFER_REPLICA,
                ReadFloor.NO_REPLICA))
        .isNull();
  }

  @Test
  void offsetsOfAnotherPrimaryCountForNothing() {
    ReplicationSnapshot stale =
        new ReplicationSnapshot(new HostAndPort("old", 1), 100, 0, List.of(fit(R1, 100)));
    assertThat(pick(chooser(Balancing.ROUND_ROBIN), stale, ReadPolicy.PREFER_REPLICA, -1)).isNull();
  }

  @Test
  void leastOutstandingPrefersTheLessLoadedOfTwo() {
    load.put(R1, 50);
    load.put(R2, 1);
    ReplicationSnapshot snapshot = replication(fit(R1, 100), fit(R2, 100));
    ReplicaChooser chooser = chooser(Balancing.LEAST_OUTSTANDING);
    for (int i = 0; i < 20; i++) {
      assertThat(pick(chooser, snapshot, ReadPolicy.PREFER_REPLICA, -1)).isEqualTo(R2);
    }
  }

  @Test
  void roundRobinVisitsEveryCandidateAndAnyIncludesThePrimary() {
    ReplicationSnapshot snapshot = replication(fit(R1, 100), fit(R2, 100));
    ReplicaChooser chooser = chooser(Balancing.ROUND_ROBIN);
    Set<HostAndPort> seen = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      seen.add(pick(chooser, snapshot, ReadPolicy.ANY, -1));
    }
    assertThat(seen).containsExactlyInAnyOrder(PRIMARY, R1, R2);
    seen.clear();
    for (int i = 0; i < 6; i++) {
      seen.add(pick(chooser, snapshot, ReadPolicy.ANY, 100));
    }
    assertThat(seen)
        .as("with a read floor the primary is the fallback, not a peer")
        .containsExactlyInAnyOrder(R1, R2);
  }

  @Test
  void anEjectedReplicaGetsNoReadsUntilItsEjectionEnds() {
    ReplicationSnapshot snapshot = replication(fit(R1, 100), fit(R2, 100));
    ReplicaChooser chooser = chooser(Balancing.ROUND_ROBIN);
    chooser.eject(R1, 0);
    for (int i = 0; i < 4; i++) {
      assertThat(chooser.pick(SHARD, snapshot, ReadPolicy.PREFER_REPLICA, -1, 1, n -> 0))
          .isEqualTo(R2);
    }
    assertThat(chooser.mayRead(SHARD, snapshot, R1, -1, 1)).isFalse();
    long later = Duration.ofSeconds(5).toNanos();
    ReplicationSnapshot then = replicationAt(later, new ReplicaState(R1, 100, 0, null, later));
    assertThat(chooser.mayRead(SHARD, then, R1, -1, later)).isTrue();
  }

  @Test
  void aReplicaThatLeftTheShardServesNothing() {
    Shard without = Shard.whole("m", PRIMARY, List.of(R2), 1, false);
    ReplicationSnapshot snapshot = replication(fit(R1, 100));
    assertThat(
            chooser(Balancing.ROUND_ROBIN)
                .pick(without, snapshot, ReadPolicy.PREFER_REPLICA, -1, 0, n -> 0))
        .isNull();
  }

  @Test
  void replicasServeNothingOnOffsetsOlderThanTheFreshnessBound() {
    ReplicationSnapshot snapshot = replication(fit(R1, 100), fit(R2, 100));
    ReplicaChooser chooser = chooser(Balancing.ROUND_ROBIN);
    long justFresh = FRESHNESS.toNanos();
    assertThat(chooser.pick(SHARD, snapshot, ReadPolicy.PREFER_REPLICA, -1, justFresh, n -> 0))
        .isNotNull();
    assertThat(chooser.pick(SHARD, snapshot, ReadPolicy.PREFER_REPLICA, -1, justFresh + 1, n -> 0))
        .as("its lag is known only as of then")
        .isNull();
    assertThat(chooser.mayRead(SHARD, snapshot, R1, -1, justFresh + 1)).isFalse();
    ReplicationSnapshot oneOld =
        replicationAt(justFresh, fit(R1, 100), new ReplicaState(R2, 100, 0, null, justFresh));
    assertThat(chooser.pick(SHARD, oneOld, ReadPolicy.PREFER_REPLICA, -1, justFresh + 1, n -> 0))
        .as("R1 answered too long ago; R2 lately")
        .isEqualTo(R2);
  }
}
