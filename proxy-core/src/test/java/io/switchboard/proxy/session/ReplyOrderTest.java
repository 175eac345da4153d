package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Replies leave in request order, whichever node answers first. */
class ReplyOrderTest {

  private final CoreHarness core = new CoreHarness().started(REPLICA);

  @AfterEach
  void close() {
    core.close();
  }

  @Test
  void aWriteGoesToThePrimaryAndItsReplyToTheClient() {
    CoreHarness.Client client = core.client();
    client.send("SET", "k", "v");
    assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET k v");
    core.answer(PRIMARY, "+OK\r\n");
    assertThat(client.replies()).isEqualTo("+OK\r\n");
  }

  @Test
  void aCommandForAnotherNodeWaitsUntilEverythingBeforeItIsAnswered() {
    core.replicasFit(100, REPLICA);
    CoreHarness.Client client = core.client();
    client.send("GET", "a").send("SET", "b", "1");
    assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET a");
    assertThat(core.nodes.commandsTo(PRIMARY)).as("parked behind the read").isEmpty();
    core.answer(REPLICA, "$1\r\nx\r\n");
    assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SET b 1");
    core.answer(PRIMARY, "+OK\r\n");
    assertThat(client.replies()).isEqualTo("$1\r\nx\r\n+OK\r\n");
  }

  @Test
  void pipelinedReadsOnOneNodeDoNotWaitForEachOther() {
    core.replicasFit(100, REPLICA);
    CoreHarness.Client client = core.client();
    client.send("GET", "a").send("GET", "b").send("GET", "c");
    assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("GET a", "GET b", "GET c");
    core.answer(REPLICA, "$1\r\n1\r\n");
    core.answer(REPLICA, "$1\r\n2\r\n");
    core.answer(REPLICA, "$1\r\n3\r\n");
    assertThat(client.replies()).isEqualTo("$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
  }

  @Test
  void aLocalAnswerWaitsForTheForwardedCommandBeforeIt() {
    CoreHarness.Client client = core.client();
    client.send("INCR", "n").send("PING");
    assertThat(client.replies()).as("PONG must not overtake the INCR").isEmpty();
    core.answer(PRIMARY, ":1\r\n");
    assertThat(client.replies()).isEqualTo(":1\r\n+PONG\r\n");
  }

  @Test
  void twoClientsShareOneConnectionAndEachGetsItsOwnReply() {
    CoreHarness.Client first = core.client();
    CoreHarness.Client second = core.client();
    first.send("INCR", "a");
    second.send("INCR", "b");
    assertThat(core.nodes.channels(PRIMARY)).hasSize(1);
    core.answer(PRIMARY, ":1\r\n");
    core.answer(PRIMARY, ":7\r\n");
    assertThat(first.replies()).isEqualTo(":1\r\n");
    assertThat(second.replies()).isEqualTo(":7\r\n");
  }

  @Test
  void aReplyForAClientThatLeftIsDropped() {
    CoreHarness.Client gone = core.client();
    CoreHarness.Client stays = core.client();
    gone.send("GET", "a");
    stays.send("GET", "b");
    gone.channel.close();
    core.pump();
    core.answer(PRIMARY, "$1\r\n1\r\n");
    core.answer(PRIMARY, "$1\r\n2\r\n");
    assertThat(stays.replies()).isEqualTo("$1\r\n2\r\n");
  }
}
