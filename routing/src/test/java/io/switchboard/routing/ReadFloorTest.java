package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadFloorTest {

  private static final HostAndPort PRIMARY = new HostAndPort("p", 1);

  private static ReplicationSnapshot askedAt(long nanos, long offset) {
    return new ReplicationSnapshot(PRIMARY, offset, nanos, List.of());
  }

  @Test
  void noFloorBeforeTheSessionWrites() {
    assertThat(new ReadFloor(true).floor(askedAt(10, 500), PRIMARY)).isEqualTo(ReadFloor.NONE);
  }

  @Test
  void afterAWriteOnlyAnOffsetAskedLaterSetsTheFloor() {
    ReadFloor floor = new ReadFloor(true);
    floor.wrote(100);
    assertThat(floor.floor(askedAt(90, 500), PRIMARY))
        .as("asked before the write was answered: may not cover it")
        .isEqualTo(ReadFloor.NO_REPLICA);
    assertThat(floor.floor(askedAt(110, 700), PRIMARY)).isEqualTo(700);
    assertThat(floor.floor(askedAt(120, 900), PRIMARY))
        .as("kept until the next write")
        .isEqualTo(700);
    floor.wrote(130);
    assertThat(floor.floor(askedAt(120, 900), PRIMARY)).isEqualTo(ReadFloor.NO_REPLICA);
  }

  @Test
  void offsetsOfAnotherPrimaryDoNotCount() {
    ReadFloor floor = new ReadFloor(true);
    floor.wrote(100);
    assertThat(floor.floor(askedAt(200, 700), new HostAndPort("new", 1)))
        .isEqualTo(ReadFloor.NO_REPLICA);
  }

  @Test
  void eventualConsistencyNeverSetsAFloor() {
    ReadFloor floor = new ReadFloor(false);
    floor.wrote(100);
    assertThat(floor.floor(askedAt(200, 700), PRIMARY)).isEqualTo(ReadFloor.NONE);
  }

  @Test
  void eachShardsPrimaryHasAFloorOfItsOwnAndSlotsMovingRaiseIt() {
    HostAndPort other = new HostAndPort("q", 1);
    ReplicationSnapshot both =
        new ReplicationSnapshot(
            List.of(
                new ReplicationSnapshot.PrimaryOffset(PRIMARY, 700, 110),
                new ReplicationSnapshot.PrimaryOffset(other, 40, 110)),
            List.of());
    ReadFloor floor = new ReadFloor(true);
    floor.wrote(100);
    assertThat(floor.floor(both, PRIMARY, Long.MIN_VALUE)).isEqualTo(700);
    assertThat(floor.floor(both, other, Long.MIN_VALUE))
        .as("not the other primary's offset")
        .isEqualTo(40);
    assertThat(floor.floor(both, PRIMARY, 105))
        .as("asked after the move: still 700")
        .isEqualTo(700);
    assertThat(floor.floor(both, PRIMARY, 150))
        .as("slots moved after that offset was asked: unknown again")
        .isEqualTo(ReadFloor.NO_REPLICA);
  }
}
