package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.OTHER;
import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The write gate and held commands: writes wait through a failover, bounded, in order. */
class FailoverHoldingTest {

  @Test
  void writesWaitUntilROLEConfirmsTheNamedPrimary() {
    try (CoreHarness core = new CoreHarness()) {
      core.topology(PRIMARY);
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      assertThat(core.nodes.commandsTo(PRIMARY)).as("gate closed: not confirmed yet").isEmpty();
      core.confirm(PRIMARY);
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET k v");
    }
  }

  @Test
  void heldWritesGoToTheNewPrimaryInTheirOriginalOrder() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      core.failoverUnderway();
      client.send("SET", "a", "1").send("SET", "b", "2").send("INCR", "c");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
      core.topology(OTHER, PRIMARY);
      core.confirm(OTHER);
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SET a 1", "SET b 2", "INCR c");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
      core.answer(OTHER, "+OK\r\n");
      core.answer(OTHER, "+OK\r\n");
      core.answer(OTHER, ":1\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n+OK\r\n:1\r\n");
    }
  }

  @Test
  void readsKeepFlowingToReplicasWhileWritesWait() {
    try (CoreHarness core =
        new CoreHarness("switchboard.routing.consistency = eventual").started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      core.failoverUnderway();
      CoreHarness.Client reader = core.client();
      reader.send("GET", "k");
      core.answer(REPLICA, "$1\r\nv\r\n");
      assertThat(reader.replies()).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void aWriteHeldPastTheHoldTimeoutGetsTryagainNamingTheFailover() throws Exception {
    try (CoreHarness core =
        new CoreHarness("switchboard.failover.hold-timeout = 50ms").started(REPLICA)) {
      CoreHarness.Client client = core.client();
      core.failoverUnderway();
      client.send("SET", "k", "v");
      Thread.sleep(80);
      core.pump();
      assertThat(client.replies())
          .isEqualTo(
              "-TRYAGAIN Switchboard: a failover is in progress: Sentinel is replacing the primary"
                  + " 10.0.0.1:6379 of master 'mymaster'; the command was not sent"
                  + " (failover.hold-timeout 50 ms)\r\n");
    }
  }

  @Test
  void heldBytesAreBoundedProxyWide() {
    try (CoreHarness core =
        new CoreHarness("switchboard.failover.hold-bytes = 100").started(REPLICA)) {
      CoreHarness.Client client = core.client();
      core.failoverUnderway();
      client.send("SET", "k", "x".repeat(200));
      assertThat(client.replies())
          .startsWith("-TRYAGAIN Switchboard holds 100 bytes of commands for the primary already")
          .contains("(failover.hold-bytes)")
          .endsWith("; the command was not sent\r\n");
    }
  }

  @Test
  void heldCommandsAreBoundedPerConnection() {
    try (CoreHarness core =
        new CoreHarness("switchboard.limits.max-held-per-pool = 2").started(REPLICA)) {
      CoreHarness.Client client = core.client();
      core.failoverUnderway();
      client.send("INCR", "a").send("INCR", "b").send("INCR", "c");
      assertThat(client.replies()).isEmpty(); // the third is refused, but answers in its turn
      core.topology(OTHER);
      core.confirm(OTHER);
      core.answer(OTHER, ":1\r\n");
      core.answer(OTHER, ":1\r\n");
      assertThat(client.replies())
          .startsWith(
              ":1\r\n:1\r\n-ERR Switchboard: too many commands waiting for primary 10.0.0.1:6379");
    }
  }

  @Test
  void aReadonlyReplyIsNeverSeenAndTheWriteRunsOnTheNewPrimary() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.answer(PRIMARY, "-READONLY You can't write against a read only replica.\r\n");
      assertThat(client.replies()).isEmpty();
      assertThat(core.primaryDoubts).as("discovery is asked again at once").isEqualTo(1);
      core.topology(OTHER, PRIMARY);
      core.confirm(OTHER);
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SET k v");
      core.answer(OTHER, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void aReadWhoseReplicaDiesInFlightRunsOnThePrimary() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET k");
      core.nodes.drop(REPLICA);
      core.pump();
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("GET k");
      core.answer(PRIMARY, "$1\r\nv\r\n");
      assertThat(client.replies()).isEqualTo("$1\r\nv\r\n");
    }
  }

  @Test
  void aWriteLostInFlightGetsAnErrorSayingItMayHaveRun() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("INCR", "n");
      core.nodes.drop(PRIMARY);
      core.pump();
      assertThat(client.replies())
          .startsWith(
              "-ERR Switchboard lost the connection to primary 10.0.0.1:6379 while the command was in flight")
          .endsWith("it may or may not have run\r\n");
    }
  }

  @Test
  void aConnectionThatFailsIsReopenedAndAsksDiscoveryAboutThePrimary() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("INCR", "n");
      core.nodes.drop(PRIMARY);
      core.pump();
      assertThat(core.primaryDoubts).isEqualTo(1);
    }
  }

  @Test
  void aWriteAnsweredDuringAFailoverWaitsUntilTheGateReopensOnTheSamePrimary() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.failoverUnderway();
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).as("it may not survive the failover").isEmpty();
      core.topology(PRIMARY, REPLICA); // the failover was aborted: the same primary
      core.confirm(PRIMARY);
      assertThat(client.replies()).isEqualTo("+OK\r\n");
    }
  }

  /**
   * Every replica must have such a write before it is delivered during the failover, since any of
   * them may be promoted; once one is, only that one matters. A replica that lags (a full resync
   * under heavy load) used to turn the acknowledgement into "may be lost" although the promoted
   * replica had the write: 36 to 134 such errors per five planned failovers at 130,000 writes a
   * second in the failover report.
   */
  @Test
  void aWriteAnsweredDuringAFailoverIsDeliveredWhenThePromotedReplicaHadIt() {
    try (CoreHarness core = new CoreHarness().started(REPLICA, OTHER)) {
      CoreHarness.Client client = answeredDuringAFailoverAndAppliedByReplicaOnly(core);
      assertThat(client.replies()).as("OTHER has not applied it yet").isEmpty();
      core.topology(REPLICA, OTHER);
      assertThat(client.replies()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void aWriteAnsweredDuringAFailoverIsMaybeLostWhenThePromotedReplicaLacked() {
    try (CoreHarness core = new CoreHarness().started(REPLICA, OTHER)) {
      CoreHarness.Client client = answeredDuringAFailoverAndAppliedByReplicaOnly(core);
      core.topology(OTHER, REPLICA);
      assertThat(client.replies())
          .isEqualTo(
              "-ERR Switchboard: 10.0.0.1:6379 answered this write only after Sentinel had"
                  + " replaced it as primary; the write may be lost with it\r\n");
    }
  }

  @Test
  void aWriteAnsweredByAPrimaryThatWasThenReplacedIsReportedAsMaybeLost() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.failoverUnderway();
      core.answer(PRIMARY, "+OK\r\n");
      core.topology(OTHER);
      assertThat(client.replies())
          .isEqualTo(
              "-ERR Switchboard: 10.0.0.1:6379 answered this write only after Sentinel had"
                  + " replaced it as primary; the write may be lost with it\r\n");
    }
  }

  /**
   * A SET the primary answers once the failover is under way; then ROLE shows the primary at 100,
   * REPLICA there too, OTHER behind at 40.
   */
  private static CoreHarness.Client answeredDuringAFailoverAndAppliedByReplicaOnly(
      CoreHarness core) {
    CoreHarness.Client client = core.client();
    client.send("SET", "k", "v");
    core.failoverUnderway();
    core.answer(PRIMARY, "+OK\r\n");
    core.offsets(100, Map.of(REPLICA, 100L, OTHER, 40L));
    core.checkHeldAcks();
    return client;
  }
}
