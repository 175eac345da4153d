package io.switchboard.proxy.backend;

import static io.switchboard.proxy.backend.BackendHarness.OTHER;
import static io.switchboard.proxy.backend.BackendHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotRange;
import io.switchboard.routing.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Writes go to the primary only while discovery names it, no failover runs, and ROLE agrees. */
class WriteGateTest {

  @Test
  void theGateStaysClosedUntilROLEConfirmsTheNamedPrimary() {
    try (BackendHarness backend = new BackendHarness()) {
      backend.topology(PRIMARY);
      assertThat(backend.loop.gate().open()).isFalse();
      backend.loop.gate().onPrimaryRole(PRIMARY, true);
      assertThat(backend.loop.gate().open()).isTrue();
      assertThat(backend.gateOpenings).isEqualTo(1);
    }
  }

  @Test
  void aConfirmationOfAnotherNodeDoesNotOpenIt() {
    try (BackendHarness backend = new BackendHarness()) {
      backend.topology(PRIMARY);
      backend.loop.gate().onPrimaryRole(OTHER, true);
      assertThat(backend.loop.gate().open()).isFalse();
    }
  }

  @Test
  void aFailoverUnderwayClosesTheGate() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.topology(backend.loop.topology().current().withFailoverUnderway());
      assertThat(backend.loop.gate().open()).isFalse();
    }
  }

  @Test
  void aPrimaryThatROLECallsAReplicaClosesTheGate() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.loop.gate().onPrimaryRole(PRIMARY, false);
      assertThat(backend.loop.gate().open()).isFalse();
    }
  }

  @Test
  void aReadonlyReplyClosesTheGateAndAsksDiscoveryAgain() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.loop.gate().doubtPrimary(OTHER);
      assertThat(backend.primaryDoubts).as("not the primary: ignored").isZero();
      backend.loop.gate().doubtPrimary(PRIMARY);
      assertThat(backend.loop.gate().open()).isFalse();
      assertThat(backend.primaryDoubts).isEqualTo(1);
    }
  }

  @Test
  void aNewPrimaryWaitsForItsOwnConfirmation() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.topology(OTHER);
      assertThat(backend.loop.gate().open()).isFalse();
      backend.loop.gate().onPrimaryRole(OTHER, true);
      assertThat(backend.loop.gate().open()).isTrue();
    }
  }

  @Test
  void commandsHeldByAClosedGateLeaveWhenItOpens() {
    try (BackendHarness backend = new BackendHarness()) {
      backend.topology(PRIMARY);
      BackendHarness.Owner owner = new BackendHarness.Owner();
      backend.pools.pool(PRIMARY, 0, 2).pick().send(owner.command("SET", "k", "v"));
      backend.pump();
      assertThat(backend.nodes.commandsTo(PRIMARY)).isEmpty();
      assertThat(backend.held.inUse()).as("counted against failover.hold-bytes").isPositive();
      backend.loop.gate().onPrimaryRole(PRIMARY, true);
      backend.pump();
      assertThat(backend.nodes.commandsTo(PRIMARY)).containsExactly("SET k v");
      assertThat(backend.held.inUse()).isZero();
    }
  }

  @Test
  void theProxysOwnCommandsPassAClosedGate() {
    try (BackendHarness backend = new BackendHarness()) {
      backend.topology(PRIMARY);
      backend
          .pools
          .pool(PRIMARY, 0, 2)
          .pick()
          .sendInternal(
              io.switchboard.proxy.resp.Replies.command(backend.loop.alloc(), "ROLE"),
              io.netty.buffer.ByteBuf::release);
      backend.pump();
      assertThat(backend.nodes.commandsTo(PRIMARY)).containsExactly("ROLE");
      backend.answer(PRIMARY, "*1\r\n$6\r\nmaster\r\n");
    }
  }

  @Test
  void eachShardHasItsOwnGate() {
    try (BackendHarness backend = new BackendHarness()) {
      Shard low = new Shard("low", PRIMARY, List.of(), List.of(new SlotRange(0, 8191)), 1, false);
      Shard high =
          new Shard("high", OTHER, List.of(), List.of(new SlotRange(8192, 16383)), 1, true);
      backend.topology(new Topology(List.of(low, high), null));
      backend.loop.gate().onPrimaryRole(PRIMARY, true);
      backend.loop.gate().onPrimaryRole(OTHER, true);
      assertThat(backend.loop.gate().open(PRIMARY)).isTrue();
      assertThat(backend.loop.gate().open(OTHER)).as("its shard fails over").isFalse();
      assertThat(backend.loop.gate().open()).as("not every shard").isFalse();
    }
  }

  @Test
  void aFormerPrimaryNamedAgainNeedsAFreshConfirmation() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.topology(OTHER);
      backend.loop.gate().onPrimaryRole(OTHER, true);
      backend.topology(PRIMARY);
      assertThat(backend.loop.gate().open(PRIMARY)).isFalse();
      backend.loop.gate().onPrimaryRole(PRIMARY, true);
      assertThat(backend.loop.gate().open(PRIMARY)).isTrue();
    }
  }
}
