package io.switchboard.proxy.backend;

import static io.switchboard.proxy.backend.BackendHarness.OTHER;
import static io.switchboard.proxy.backend.BackendHarness.PRIMARY;
import static io.switchboard.proxy.backend.BackendHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.switchboard.routing.CommandTable;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small parts of a loop's backend side: flush batch, topology, leases, pools, recycling. */
class LoopPartsTest {

  private static final class Recorded extends Flushable {
    final List<String> log;
    final String name;

    Recorded(List<String> log, String name) {
      this.log = log;
      this.name = name;
    }

    @Override
    public void flush() {
      log.add(name);
    }
  }

  @Test
  void aBatchFlushesEachTouchedChannelOnceBackendsFirst() {
    try (BackendHarness backend = new BackendHarness()) {
      List<String> log = new ArrayList<>();
      FlushBatch batch = backend.loop.flushes();
      Recorded client = new Recorded(log, "client");
      Recorded server = new Recorded(log, "backend");
      batch.clientWritten(client);
      batch.clientWritten(client);
      batch.backendWritten(server);
      batch.backendWritten(server);
      batch.flushAll();
      batch.flushAll();
      assertThat(log).containsExactly("backend", "client");
    }
  }

  @Test
  void flushSoonRunsOneFlushAfterTheLoopsCurrentWork() {
    try (BackendHarness backend = new BackendHarness()) {
      List<String> log = new ArrayList<>();
      FlushBatch batch = backend.loop.flushes();
      batch.clientWritten(new Recorded(log, "client"));
      batch.flushSoon();
      batch.flushSoon();
      assertThat(log).isEmpty();
      backend.loopChannel.runPendingTasks();
      assertThat(log).containsExactly("client");
    }
  }

  @Test
  void theGenerationChangesOnlyWhenNodesChange() {
    LoopTopology topology = new LoopTopology(Topology.of("m", PRIMARY, List.of(REPLICA)));
    int start = topology.generation();
    topology.replace(Topology.of("m", PRIMARY, List.of(REPLICA)));
    assertThat(topology.generation()).isEqualTo(start);
    topology.replace(Topology.of("m", OTHER, List.of(REPLICA)));
    assertThat(topology.generation()).isGreaterThan(start);
    int afterPrimary = topology.generation();
    topology.replace(Topology.of("m", OTHER, List.of()));
    assertThat(topology.generation()).isGreaterThan(afterPrimary);
    assertThat(topology.serves(OTHER, true)).isTrue();
    assertThat(topology.serves(REPLICA, false)).isFalse();
  }

  @Test
  void sharedBudgetsRefuseBeyondTheirLimit() {
    SharedBudget budget = new SharedBudget(10);
    assertThat(budget.tryAcquire(6)).isTrue();
    assertThat(budget.tryAcquire(5)).isFalse();
    budget.release(6);
    assertThat(budget.tryAcquire(10)).isTrue();
    assertThat(budget.inUse()).isEqualTo(10);
  }

  @Test
  void leasesAreBoundedProxyWideAndAReleasedCleanOneIsReused() {
    try (BackendHarness backend =
        new BackendHarness("switchboard.limits.max-exclusive-connections = 1").started()) {
      BackendConnection first = backend.leases.acquire(PRIMARY, 0, 2, null);
      first.connectNow();
      backend.pump();
      assertThat(backend.leases.acquire(PRIMARY, 0, 2, null)).isNull();
      backend.leases.release(first);
      assertThat(backend.leases.acquire(PRIMARY, 0, 2, null)).isSameAs(first);
      backend.leases.release(first);
    }
  }

  @Test
  void aTaintedLeaseIsClosedNotReused() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection lease = backend.leases.acquire(PRIMARY, 0, 2, null);
      lease.connectNow();
      backend.pump();
      lease.tainted = true;
      backend.leases.release(lease);
      assertThat(lease.usable()).isFalse();
      BackendConnection next = backend.leases.acquire(PRIMARY, 0, 2, null);
      assertThat(next).isNotSameAs(lease);
      backend.leases.release(next);
    }
  }

  @Test
  void leasesOnANodeThatLeftAreRetired() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection lease = backend.leases.acquire(PRIMARY, 0, 2, null);
      backend.topology(OTHER);
      assertThat(lease.usable()).isFalse();
      backend.leases.release(lease);
    }
  }

  @Test
  void poolsAreKeptPerDatabaseAndProtocolAndRetiredWithTheirNode() {
    try (BackendHarness backend = new BackendHarness().started(REPLICA)) {
      BackendPool zero = backend.pools.pool(PRIMARY, 0, 2);
      assertThat(backend.pools.pool(PRIMARY, 0, 2)).isSameAs(zero);
      assertThat(backend.pools.pool(PRIMARY, 1, 2)).isNotSameAs(zero);
      assertThat(backend.pools.pool(PRIMARY, 0, 3)).isNotSameAs(zero);
      BackendPool replica = backend.pools.pool(REPLICA, 0, 2);
      assertThat(replica.primary()).isFalse();
      backend.topology(PRIMARY);
      assertThat(backend.pools.pool(REPLICA, 0, 2))
          .as("a fresh pool if asked again")
          .isNotSameAs(replica);
    }
  }

  @Test
  void aPlainAnsweredCommandIsRecycledAndOneThatNeededMoreIsNot() {
    CommandRecycler recycler = new CommandRecycler();
    BackendHarness.Owner owner = new BackendHarness.Owner();
    PendingCommand plain = recycler.command(owner, CommandTable.builtIn().lookup("GET"), null, 0);
    recycler.recycle(plain);
    assertThat(recycler.spare()).isEqualTo(1);
    assertThat(recycler.command(owner, CommandTable.builtIn().lookup("SET"), null, 5))
        .isSameAs(plain);
    assertThat(plain.startedAtNanos).isEqualTo(5);
    plain.rare().requeued = true;
    recycler.recycle(plain);
    assertThat(recycler.spare()).isZero();
  }

  @Test
  void aCommandIsAnsweredOnceAndALateSecondReplyIsReleased() {
    BackendHarness.Owner owner = new BackendHarness.Owner();
    PendingCommand command = owner.command("GET", "k");
    var first = Unpooled.copiedBuffer("$1\r\na\r\n", java.nio.charset.StandardCharsets.UTF_8);
    command.rare(); // sent twice (a stuck read also run on the primary): it remembers delivery
    command.complete(first);
    command.markDelivered();
    var second = Unpooled.copiedBuffer("$1\r\nb\r\n", java.nio.charset.StandardCharsets.UTF_8);
    command.complete(second);
    assertThat(owner.replies).containsExactly("$1\r\na\r\n");
    assertThat(second.refCnt()).isZero();
  }

  @Test
  void theProxysOwnCommandGivesItsReplyToItsCallback() {
    List<String> got = new ArrayList<>();
    PendingCommand internal =
        PendingCommand.internal(
            Unpooled.copiedBuffer("*1\r\n$4\r\nROLE\r\n", java.nio.charset.StandardCharsets.UTF_8),
            reply -> {
              got.add(reply.toString(java.nio.charset.StandardCharsets.UTF_8));
              reply.release();
            });
    internal.complete(Unpooled.copiedBuffer("+x\r\n", java.nio.charset.StandardCharsets.UTF_8));
    assertThat(got).containsExactly("+x\r\n");
    assertThat(internal.request).as("released once answered").isNull();
  }
}
