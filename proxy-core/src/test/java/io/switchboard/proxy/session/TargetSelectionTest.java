package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.OTHER;
import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which node a command reaches: the read policy, read-your-writes and cursors. */
class TargetSelectionTest {

  @Test
  void readsGoToAnEligibleReplica() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      core.client().send("GET", "k");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET k");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
    }
  }

  @Test
  void readsStayOnThePrimaryWhileNoReplicaIsKnownFit() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.client().send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("GET k");
    }
  }

  @Test
  void aLaggingReplicaGetsNoReads() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replication.set(
          new ReplicationSnapshot(
              PRIMARY,
              100,
              System.nanoTime(),
              List.of(new ReplicaState(REPLICA, 1, 9000, "lag", System.nanoTime()))));
      core.client().send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("GET k");
    }
  }

  @Test
  void afterAWriteReadsGoToThePrimaryUntilAReplicaHasTheWrite() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET k v", "GET k");
      core.answer(PRIMARY, "$1\r\nv\r\n");
      // The monitor asks the primary after the write (offset 200); the replica reaches it.
      core.replicasFit(200, REPLICA);
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET k");
      assertThat(client.replies()).isEqualTo("+OK\r\n$1\r\nv\r\n");
    }
  }

  @Test
  void eventualConsistencyReadsFromAReplicaRightAfterAWrite() {
    try (CoreHarness core =
        new CoreHarness("switchboard.routing.consistency = eventual").started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.answer(PRIMARY, "+OK\r\n");
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET k");
    }
  }

  @Test
  void readFromPrimarySendsEveryReadToThePrimary() {
    try (CoreHarness core =
        new CoreHarness("switchboard.routing.read-from = primary").started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      core.client().send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("GET k");
    }
  }

  @Test
  void readFromReplicaWithNoFitReplicaAnswersAClearError() {
    try (CoreHarness core =
        new CoreHarness("switchboard.routing.read-from = replica").started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("GET", "k");
      assertThat(client.replies())
          .isEqualTo(
              "-ERR Switchboard has no replica fit to serve reads (read-from = replica);"
                  + " replicas must be up, synced and within routing.max-replica-lag\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
    }
  }

  @Test
  void aContinuedScanStaysOnTheNodeThatIssuedTheCursorEvenWhenItLags() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("SCAN", "0");
      core.answer(REPLICA, "*2\r\n$2\r\n17\r\n*0\r\n");
      core.replication.set(
          new ReplicationSnapshot(
              PRIMARY,
              100,
              System.nanoTime(),
              List.of(new ReplicaState(REPLICA, 1, 9000, "lag", System.nanoTime()))));
      client.send("SCAN", "17");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("SCAN 0", "SCAN 17");
      core.answer(REPLICA, "*2\r\n$1\r\n0\r\n*0\r\n");
      client.send("SCAN", "0");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("a new iteration is routed afresh")
          .containsExactly("SCAN 0");
    }
  }

  @Test
  void aScanWhoseNodeLeftContinuesOnThePrimary() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("SCAN", "0");
      core.answer(REPLICA, "*2\r\n$2\r\n17\r\n*0\r\n");
      core.topology(PRIMARY, OTHER);
      client.send("SCAN", "17");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SCAN 17");
    }
  }

  @Test
  void aSelectedDatabaseGetsConnectionsThatSelectedIt() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SELECT", "3").send("SET", "k", "v");
      assertThat(client.replies()).isEqualTo("+OK\r\n");
      assertThat(core.nodes.received(PRIMARY))
          .anySatisfy(args -> assertThat(args).containsExactly("SELECT", "3"));
      assertThat(core.nodes.commandsTo(PRIMARY)).endsWith("SET k v");
    }
  }
}
