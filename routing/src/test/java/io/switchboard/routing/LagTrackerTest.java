package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LagTrackerTest {

  private static final long MS = 1_000_000;

  @Test
  void aReplicaLagsByTheAgeOfTheOldestWriteItHasNotApplied() {
    LagTracker lag = new LagTracker(10_000 * MS);
    lag.primaryOffset(0, 100);
    lag.primaryOffset(100 * MS, 200);
    lag.primaryOffset(300 * MS, 300);
    assertThat(lag.lagMillis(400 * MS, 300)).isZero();
    assertThat(lag.lagMillis(400 * MS, 250)).isEqualTo(100);
    assertThat(lag.lagMillis(400 * MS, 150)).isEqualTo(300);
    assertThat(lag.lagMillis(400 * MS, 50)).isEqualTo(400);
  }

  @Test
  void anIdlePrimaryMeansNoLagAndOldSamplesAreForgotten() {
    LagTracker lag = new LagTracker(1000 * MS);
    lag.primaryOffset(0, 100);
    lag.primaryOffset(5000 * MS, 100);
    assertThat(lag.lagMillis(5000 * MS, 100)).isZero();
    lag.primaryOffset(6000 * MS, 200);
    lag.primaryOffset(8000 * MS, 300);
    assertThat(lag.lagMillis(8000 * MS, 100))
        .as("behind a forgotten sample: at least the window")
        .isGreaterThanOrEqualTo(1000);
  }

  @Test
  void aLowerOffsetMeansANewPrimaryAndStartsOver() {
    LagTracker lag = new LagTracker(1000 * MS);
    lag.primaryOffset(0, 1000);
    lag.primaryOffset(10 * MS, 50);
    assertThat(lag.lagMillis(20 * MS, 50)).isZero();
  }
}
