package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.OTHER;
import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** MULTI/EXEC and WATCH on a leased connection, and how a transaction survives losing it. */
class TransactionTest {

  @Test
  void aTransactionRunsOnAConnectionOfItsOwn() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("GET", "warm");
      core.answer(PRIMARY, "$-1\r\n");
      client.send("MULTI").send("INCR", "n").send("EXEC");
      assertThat(core.nodes.channels(PRIMARY)).as("shared + leased").hasSize(2);
      core.answer(PRIMARY, "+OK\r\n");
      core.answer(PRIMARY, "+QUEUED\r\n");
      core.answer(PRIMARY, "*1\r\n:1\r\n");
      assertThat(client.replies()).isEqualTo("$-1\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
    }
  }

  @Test
  void execWithoutMultiIsRefusedAsRedisDoes() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("EXEC");
      assertThat(client.replies()).isEqualTo("-ERR EXEC without MULTI\r\n");
    }
  }

  @Test
  void aCommandRefusedInsideMultiDoomsTheTransaction() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.deny = [KEYS]").started()) {
      CoreHarness.Client client = core.client();
      client.send("MULTI");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("KEYS", "*").send("EXEC");
      core.nodes.answerAll(PRIMARY, "+OK\r\n");
      core.pump();
      assertThat(client.replies())
          .endsWith("-EXECABORT Transaction discarded because of previous errors.\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("the server drops the transaction: an EXEC would run what was queued")
          .endsWith("MULTI", "DISCARD")
          .doesNotContain("EXEC");
    }
  }

  @Test
  void aTransactionWhoseLeaseIsLostBeforeExecIsReplayedOnTheNewPrimary() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("MULTI");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("SET", "a", "1");
      core.answer(PRIMARY, "+QUEUED\r\n");
      core.topology(OTHER);
      core.confirm(OTHER);
      client.send("EXEC");
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("MULTI", "SET a 1", "EXEC");
      core.answer(OTHER, "+OK\r\n");
      core.answer(OTHER, "+QUEUED\r\n");
      core.answer(OTHER, "*1\r\n+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
    }
  }

  @Test
  void aWatchCannotMoveSoItsExecAnswersNilAsForAConflict() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("WATCH", "k");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("MULTI");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("SET", "k", "1");
      core.answer(PRIMARY, "+QUEUED\r\n");
      core.topology(OTHER);
      core.confirm(OTHER);
      client.send("EXEC");
      core.nodes.answerAll(OTHER, "+OK\r\n");
      core.pump();
      assertThat(client.replies()).endsWith("*-1\r\n");
    }
  }

  @Test
  void theExclusiveConnectionLimitGivesAClearError() {
    try (CoreHarness core =
        new CoreHarness("switchboard.limits.max-exclusive-connections = 1").started()) {
      CoreHarness.Client first = core.client();
      CoreHarness.Client second = core.client();
      first.send("MULTI");
      second.send("MULTI");
      assertThat(second.replies())
          .isEqualTo(
              "-ERR Switchboard: all 1 exclusive backend connections are held (transactions,"
                  + " blocking commands, subscriptions); raise limits.max-exclusive-connections\r\n");
    }
  }

  @Test
  void aFinishedTransactionGivesItsConnectionBackForTheNext() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      for (int i = 0; i < 3; i++) {
        client.send("MULTI").send("EXEC");
        core.answer(PRIMARY, "+OK\r\n");
        core.answer(PRIMARY, "*0\r\n");
      }
      assertThat(core.nodes.channels(PRIMARY)).as("one lease, reused").hasSize(1);
      assertThat(client.replies()).isEqualTo("+OK\r\n*0\r\n".repeat(3));
    }
  }
}
