package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.OTHER;
import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotRange;
import io.switchboard.routing.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Several shards behind one loop, as Redis Cluster will have: a key's commands reach its slot's
 * primary, and one shard's failover holds only that shard's writes.
 */
class ShardRoutingTest {

  private static final HostAndPort PROMOTED = new HostAndPort("10.0.0.4", 6379);

  private static Topology twoShards(HostAndPort highPrimary, boolean highFailingOver) {
    Shard low =
        new Shard("low", PRIMARY, List.of(REPLICA), List.of(new SlotRange(0, 8191)), 1, false);
    Shard high =
        new Shard(
            "high",
            highPrimary,
            List.of(),
            List.of(new SlotRange(8192, 16383)),
            1,
            highFailingOver);
    return new Topology(List.of(low, high), null);
  }

  private static CoreHarness cluster() {
    return cluster(new CoreHarness());
  }

  /** Cluster mode proper (cluster.nodes set): splitting, fan-out and CROSSSLOT are on. */
  private static CoreHarness clusterMode() {
    return cluster(new CoreHarness("switchboard.cluster.nodes = \"10.0.0.9:6379\""));
  }

  private static CoreHarness cluster(CoreHarness core) {
    core.loop.onTopology(twoShards(OTHER, false));
    core.confirm(PRIMARY);
    core.confirm(OTHER);
    return core;
  }

  @Test
  void eachKeyGoesToThePrimaryOfItsSlot() {
    assertThat(KeySlot.of("foo")).isGreaterThan(8191);
    assertThat(KeySlot.of("bar")).isLessThan(8192);
    try (CoreHarness core = cluster()) {
      CoreHarness.Client client = core.client();
      client.send("SET", "foo", "1");
      core.answer(OTHER, "+OK\r\n");
      client.send("SET", "bar", "2");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SET foo 1");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET bar 2");
      assertThat(client.replies()).isEqualTo("+OK\r\n+OK\r\n");
    }
  }

  @Test
  void oneShardsFailoverHoldsOnlyItsWrites() {
    try (CoreHarness core = cluster()) {
      CoreHarness.Client first = core.client();
      CoreHarness.Client second = core.client();
      core.loop.onTopology(twoShards(OTHER, true));
      core.pump();
      first.send("SET", "foo", "held");
      second.send("SET", "bar", "flows");
      assertThat(core.nodes.commandsTo(OTHER)).isEmpty();
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET bar flows");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(second.replies()).isEqualTo("+OK\r\n");
      core.loop.onTopology(twoShards(PROMOTED, false));
      core.confirm(PROMOTED);
      assertThat(core.nodes.commandsTo(PROMOTED)).containsExactly("SET foo held");
      core.answer(PROMOTED, "+OK\r\n");
      assertThat(first.replies()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void readsOfAShardGoToItsOwnReplicas() {
    try (CoreHarness core = cluster()) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("GET", "bar");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET bar");
      client.send("GET", "foo");
      core.answer(REPLICA, "$-1\r\n");
      assertThat(core.nodes.commandsTo(OTHER))
          .as("the other shard has no replica: its primary serves")
          .containsExactly("GET foo");
    }
  }

  @Test
  void movedIsFollowedAndDiscoveryAskedAgainTheClientSeesOnlyTheResult() {
    try (CoreHarness core = cluster()) {
      CoreHarness.Client client = core.client();
      client.send("SET", "foo", "1");
      int doubts = core.primaryDoubts;
      core.answer(OTHER, "-MOVED 12182 10.0.0.4:6379\r\n");
      assertThat(core.nodes.commandsTo(PROMOTED)).containsExactly("SET foo 1");
      assertThat(core.primaryDoubts).isEqualTo(doubts + 1);
      core.answer(PROMOTED, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void askSendsAskingThenTheCommandToTheNodeTakingTheSlot() {
    try (CoreHarness core = cluster()) {
      CoreHarness.Client client = core.client();
      client.send("GET", "foo");
      core.answer(OTHER, "-ASK 12182 10.0.0.4:6379\r\n");
      assertThat(core.nodes.commandsTo(PROMOTED)).containsExactly("ASKING", "GET foo");
      core.answer(PROMOTED, "+OK\r\n");
      core.answer(PROMOTED, "$1\r\nv\r\n");
      assertThat(client.replies()).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void aSlotThatKeepsMovingEndsInTryagainNotInMoved() {
    try (CoreHarness core = cluster()) {
      CoreHarness.Client client = core.client();
      client.send("INCR", "foo");
      core.answer(OTHER, "-MOVED 12182 10.0.0.4:6379\r\n");
      for (int i = 0; i < 5; i++) {
        core.answer(PROMOTED, "-MOVED 12182 10.0.0.4:6379\r\n");
      }
      assertThat(client.replies())
          .startsWith("-TRYAGAIN Switchboard: the cluster redirected this command 5 times in a row")
          .doesNotContain("MOVED");
    }
  }

  @Test
  void aRedirectionToANodeThatCannotBeNamedEndsInTryagainNotInMoved() {
    try (CoreHarness core = cluster()) {
      CoreHarness.Client client = core.client();
      client.send("INCR", "foo");
      core.answer(OTHER, "-MOVED 12182 nowhere\r\n");
      assertThat(client.replies())
          .isEqualTo(
              "-TRYAGAIN Switchboard: slot 12182 moved to nowhere, which cannot be used now;"
                  + " the command did not run\r\n");
    }
  }

  @Test
  void thePartsOfASplitCommandRunOnTheirShardsAtOnceAndWhatFollowsKeepsItsShardsOrder() {
    try (CoreHarness core = clusterMode()) {
      CoreHarness.Client client = core.client();
      client.send("MGET", "foo", "bar");
      client.send("SET", "bar", "after");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("after its shard's part, on the same connection: no wait")
          .containsExactly("MGET bar", "SET bar after");
      assertThat(core.nodes.commandsTo(OTHER))
          .as("not parked behind the part on the other shard")
          .containsExactly("MGET foo");
      client.send("PUBLISH", "ch", "m");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("a keyless command waits for everything before it")
          .containsExactly("MGET bar", "SET bar after");
      core.answer(PRIMARY, "*1\r\n$1\r\nb\r\n");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("and for the part still out on the other shard")
          .containsExactly("MGET bar", "SET bar after");
      core.answer(OTHER, "*1\r\n$1\r\nf\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .containsExactly("MGET bar", "SET bar after", "PUBLISH ch m");
      core.answer(PRIMARY, ":0\r\n");
      assertThat(client.replies()).isEqualTo("*2\r\n$1\r\nf\r\n$1\r\nb\r\n+OK\r\n:0\r\n");
    }
  }

  @Test
  void aKeyedCommandWaitsOnlyForItsOwnShardsCommandsOnAnotherConnection() {
    try (CoreHarness core = clusterMode()) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("GET", "bar");
      core.answer(REPLICA, "+OK\r\n"); // a cluster replica's connection begins with READONLY
      client.send("SET", "foo", "1");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("READONLY", "GET bar");
      assertThat(core.nodes.commandsTo(OTHER))
          .as("another shard: it need not wait for the read")
          .containsExactly("SET foo 1");
      client.send("SET", "bar", "2");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("its own shard's read, on the replica, runs first")
          .isEmpty();
      core.answer(REPLICA, "$-1\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET bar 2");
      core.answer(OTHER, "+OK\r\n");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("$-1\r\n+OK\r\n+OK\r\n");
    }
  }

  @Test
  void sessionOrderMakesACommandForAnotherShardWaitForThoseBeforeIt() {
    try (CoreHarness core =
        cluster(
            new CoreHarness(
                "switchboard.cluster.nodes = \"10.0.0.9:6379\"\n"
                    + "switchboard.cluster.order = session"))) {
      CoreHarness.Client client = core.client();
      client.send("SET", "foo", "1");
      client.send("SET", "bar", "2");
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SET foo 1");
      assertThat(core.nodes.commandsTo(PRIMARY)).as("waits for the other shard's SET").isEmpty();
      core.answer(OTHER, "+OK\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET bar 2");
    }
  }

  @Test
  void afterANewTopologyACommandWaitsForWhatWasSentUnderTheOldOne() {
    try (CoreHarness core = clusterMode()) {
      CoreHarness.Client client = core.client();
      client.send("SET", "foo", "1");
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SET foo 1");
      Shard low =
          new Shard("low", PRIMARY, List.of(REPLICA), List.of(new SlotRange(0, 12999)), 2, false);
      Shard high =
          new Shard("high", OTHER, List.of(), List.of(new SlotRange(13000, 16383)), 2, false);
      core.loop.onTopology(new Topology(List.of(low, high), null));
      core.pump();
      client.send("SET", "foo", "2");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("foo's slot moved: the second SET must not overtake the first")
          .isEmpty();
      core.answer(OTHER, "+OK\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET foo 2");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n+OK\r\n");
    }
  }

  @Test
  void commandsThatNeedOneSlotGetCrossslotInClusterMode() {
    try (CoreHarness core = clusterMode()) {
      CoreHarness.Client client = core.client();
      client.send("RENAME", "foo", "bar");
      assertThat(client.replies())
          .isEqualTo("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
      assertThat(core.nodes.commandsTo(OTHER)).isEmpty();
    }
  }
}
