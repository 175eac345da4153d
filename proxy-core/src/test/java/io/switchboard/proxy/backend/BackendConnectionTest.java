package io.switchboard.proxy.backend;

import static io.switchboard.proxy.backend.BackendHarness.OTHER;
import static io.switchboard.proxy.backend.BackendHarness.PRIMARY;
import static io.switchboard.proxy.backend.BackendHarness.REPLICA;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One multiplexed connection: the handshake, the in-flight FIFO, losing and retiring it. */
class BackendConnectionTest {

  private final BackendHarness.Owner owner = new BackendHarness.Owner();

  @Test
  void commandsGivenBeforeTheHandshakeLeaveAfterItInOrder() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      connection.send(owner.command("SET", "a", "1"));
      connection.send(owner.command("SET", "b", "2"));
      assertThat(backend.nodes.received(PRIMARY)).isEmpty();
      backend.pump();
      assertThat(backend.nodes.received(PRIMARY))
          .extracting(args -> args.get(0))
          .containsExactly("HELLO", "SET", "SET");
      assertThat(backend.nodes.commandsTo(PRIMARY)).containsExactly("SET a 1", "SET b 2");
    }
  }

  @Test
  void theHandshakeNamesTheConnectionAndSelectsItsDatabase() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.pools.pool(PRIMARY, 4, 3).pick().send(owner.command("PING"));
      backend.pump();
      List<List<String>> received = backend.nodes.received(PRIMARY);
      assertThat(received.get(0)).containsExactly("HELLO", "3", "SETNAME", "switchboard");
      assertThat(received.get(1)).containsExactly("SELECT", "4");
    }
  }

  @Test
  void eachReplyCompletesTheOldestRequest() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      connection.send(owner.command("INCR", "a"));
      connection.send(owner.command("INCR", "b"));
      backend.pump();
      backend.answer(PRIMARY, ":1\r\n");
      backend.answer(PRIMARY, ":2\r\n");
      assertThat(owner.replies).containsExactly(":1\r\n", ":2\r\n");
    }
  }

  @Test
  void aReplyNobodyAskedForClosesTheConnection() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      connection.send(owner.command("PING"));
      backend.pump();
      backend.answer(PRIMARY, "+PONG\r\n");
      backend
          .nodes
          .channels(PRIMARY)
          .get(0)
          .writeInbound(Unpooled.copiedBuffer("+EXTRA\r\n", UTF_8));
      assertThat(backend.nodes.channels(PRIMARY).get(0).isOpen()).isFalse();
    }
  }

  @Test
  void aPushFrameOnASharedConnectionIsDroppedNotTakenForAReply() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 3).pick();
      connection.send(owner.command("GET", "k"));
      backend.pump();
      backend
          .nodes
          .channels(PRIMARY)
          .get(0)
          .writeInbound(
              Unpooled.copiedBuffer(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", UTF_8));
      backend.answer(PRIMARY, "$1\r\nv\r\n");
      assertThat(owner.replies).containsExactly("$1\r\nv\r\n");
    }
  }

  @Test
  void aConnectionLostWithCommandsInFlightTellsThemTheyMayHaveRun() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      PendingCommand command = owner.command("INCR", "n");
      connection.send(command);
      backend.pump();
      backend.nodes.drop(PRIMARY);
      backend.pump();
      assertThat(command.lost).isEqualTo(PendingCommand.LOST_IN_FLIGHT);
      assertThat(owner.replies.get(0)).endsWith("it may or may not have run\r\n");
    }
  }

  @Test
  void aCommandSentWhileTheLostOnesAreFailedWaitsForTheReconnect() throws Exception {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      PendingCommand next = owner.command("SET", "after", "1");
      // A session that sends on as soon as it hears of the loss (its parked commands go out):
      // the connection must already know it has no channel.
      BackendHarness.Owner eager =
          new BackendHarness.Owner() {
            @Override
            public void onReply(PendingCommand command) {
              super.onReply(command);
              connection.send(next);
            }
          };
      connection.send(eager.command("INCR", "n"));
      backend.pump();
      backend.nodes.drop(PRIMARY);
      backend.pump();
      assertThat(eager.replies.get(0)).endsWith("it may or may not have run\r\n");
      Thread.sleep(80); // the reconnect's backoff (50 ms after a first failure)
      backend.pump();
      assertThat(backend.nodes.commandsTo(PRIMARY)).endsWith("SET after 1");
      backend.answer(PRIMARY, "+OK\r\n");
      assertThat(owner.replies).containsExactly("+OK\r\n");
    }
  }

  @Test
  void aRetiredSharedConnectionHandsUnsentCommandsBackToTheirSessions() {
    try (BackendHarness backend = new BackendHarness().started()) {
      backend.loop.gate().onPrimaryRole(PRIMARY, false); // gate closed: commands wait unsent
      BackendConnection connection = backend.pools.pool(PRIMARY, 0, 2).pick();
      connection.send(owner.command("SET", "a", "1"));
      backend.pump();
      backend.topology(OTHER);
      assertThat(owner.redispatched).hasSize(1);
      assertThat(connection.usable()).isFalse();
      owner.release();
    }
  }

  @Test
  void aRetiredConnectionStillDeliversRepliesInFlightThenCloses() {
    try (BackendHarness backend = new BackendHarness().started(REPLICA)) {
      BackendConnection connection = backend.pools.pool(REPLICA, 0, 2).pick();
      connection.send(owner.command("GET", "k"));
      backend.pump();
      backend.topology(PRIMARY);
      assertThat(backend.nodes.channels(REPLICA).get(0).isOpen()).as("draining").isTrue();
      backend.answer(REPLICA, "$1\r\nv\r\n");
      assertThat(owner.replies).containsExactly("$1\r\nv\r\n");
      assertThat(backend.nodes.channels(REPLICA).get(0).isOpen()).isFalse();
    }
  }

  @Test
  void anExclusiveConnectionNeverReconnectsItsStateIsGone() {
    try (BackendHarness backend = new BackendHarness().started()) {
      BackendConnection lease = backend.leases.acquire(PRIMARY, 0, 2, null);
      lease.send(owner.command("MULTI"));
      backend.pump();
      backend.answer(PRIMARY, "+OK\r\n");
      backend.nodes.drop(PRIMARY);
      backend.pump();
      PendingCommand after = owner.command("INCR", "n");
      lease.send(after);
      assertThat(after.lost).isEqualTo(PendingCommand.LOST_UNSENT);
      assertThat(owner.replies.get(1))
          .startsWith(
              "-ERR Switchboard: the connection to primary 10.0.0.1:6379 that held this"
                  + " client's state is gone");
      assertThat(backend.nodes.channels(PRIMARY)).hasSize(1);
      backend.leases.release(lease);
    }
  }

  @Test
  void aReplicaThatCannotBeReachedFailsCommandsAfterTheReconnectWait() throws Exception {
    try (BackendHarness backend =
        new BackendHarness("switchboard.redis.reconnect-wait = 50ms").started(REPLICA)) {
      backend.nodes.refuse(REPLICA, "Connection refused");
      backend.pools.pool(REPLICA, 0, 2).pick().send(owner.command("GET", "k"));
      backend.pump();
      Thread.sleep(80);
      backend.pump();
      assertThat(owner.replies)
          .singleElement()
          .asString()
          .startsWith("-ERR Switchboard cannot reach replica 10.0.0.2:6379 (Connection refused)")
          .endsWith("gave up after 50 ms\r\n");
    }
  }

  @Test
  void aStuckReadIsHandedToItsSessionToRunElsewhere() {
    try (BackendHarness backend = new BackendHarness().started(REPLICA)) {
      BackendConnection connection = backend.pools.pool(REPLICA, 0, 2).pick();
      PendingCommand read = owner.command("GET", "k");
      connection.send(read);
      backend.pump();
      List<PendingCommand> retried = new ArrayList<>();
      connection.rerouteStuck(System.nanoTime() + 1_000_000_000L, 1, retried::add);
      assertThat(retried).containsExactly(read);
      backend.answer(REPLICA, "$-1\r\n");
    }
  }
}
