package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.RoutingConfig.Consistency;
import io.switchboard.config.RoutingConfig.ReadFrom;
import org.junit.jupiter.api.Test;

class ReadPolicyTest {

  @Test
  void policiesAreChosenByNameAndConsistencyPrimaryWins() {
    assertThat(ReadPolicy.of(ReadFrom.PREFER_REPLICA, Consistency.EVENTUAL))
        .isSameAs(ReadPolicy.PREFER_REPLICA);
    assertThat(ReadPolicy.of(ReadFrom.ANY, Consistency.READ_YOUR_WRITES)).isSameAs(ReadPolicy.ANY);
    assertThat(ReadPolicy.of(ReadFrom.REPLICA, Consistency.PRIMARY)).isSameAs(ReadPolicy.PRIMARY);
    assertThat(ReadPolicy.REPLICA).hasToString("replica");
  }

  @Test
  void replicaPolicyFallsBackToThePrimaryOnlyForTheSessionsOwnWrites() {
    assertThat(ReadPolicy.REPLICA.primaryMayServe(false)).isFalse();
    assertThat(ReadPolicy.REPLICA.primaryMayServe(true)).isTrue();
    assertThat(ReadPolicy.PREFER_REPLICA.primaryMayServe(false)).isTrue();
  }

  @Test
  void anyLetsThePrimaryCompeteUntilTheSessionWaitsForItsWrite() {
    assertThat(ReadPolicy.ANY.primaryCompetes(false)).isTrue();
    assertThat(ReadPolicy.ANY.primaryCompetes(true)).isFalse();
    assertThat(ReadPolicy.PREFER_REPLICA.primaryCompetes(false)).isFalse();
    assertThat(ReadPolicy.PRIMARY.readsReplicas()).isFalse();
  }
}
