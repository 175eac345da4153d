package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Connection state the proxy answers itself, as Redis would, without a server round trip. */
class LocalCommandsTest {

  private final CoreHarness core = new CoreHarness().started();
  private final CoreHarness.Client client = core.client();

  @AfterEach
  void close() {
    core.close();
  }

  @Test
  void pingAndEchoAreAnsweredWithoutTheServers() {
    client.send("PING").send("PING", "hi").send("ECHO", "x");
    assertThat(client.replies()).isEqualTo("+PONG\r\n$2\r\nhi\r\n$1\r\nx\r\n");
    assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
  }

  @Test
  void aWrongArgumentCountGetsRedissArityError() {
    client.send("PING", "a", "b");
    assertThat(client.replies()).isEqualTo("-ERR wrong number of arguments for 'ping' command\r\n");
  }

  @Test
  void clientSetnameIsKeptPerSession() {
    CoreHarness.Client other = core.client();
    client.send("CLIENT", "SETNAME", "worker-1").send("CLIENT", "GETNAME");
    other.send("CLIENT", "GETNAME");
    assertThat(client.replies()).isEqualTo("+OK\r\n$8\r\nworker-1\r\n");
    assertThat(other.replies()).isEqualTo("$-1\r\n");
  }

  @Test
  void aNameWithSpacesIsRefusedAsRedisDoes() {
    client.send("CLIENT", "SETNAME", "a b");
    assertThat(client.replies()).startsWith("-ERR Client names cannot contain spaces");
  }

  @Test
  void clientIdIsTheSessionsOwn() {
    client.send("CLIENT", "ID");
    assertThat(client.replies()).isEqualTo(":" + client.session().id + "\r\n");
  }

  @Test
  void clientReplyOffSilencesRepliesUntilOn() {
    client.send("CLIENT", "REPLY", "OFF").send("SET", "a", "1");
    core.answer(PRIMARY, "+OK\r\n");
    client.send("CLIENT", "REPLY", "ON").send("PING");
    assertThat(client.replies()).isEqualTo("+OK\r\n+PONG\r\n");
  }

  @Test
  void clientReplySkipDropsOnlyTheNextReply() {
    client.send("CLIENT", "REPLY", "SKIP").send("PING").send("ECHO", "kept");
    assertThat(client.replies()).isEqualTo("$4\r\nkept\r\n");
  }

  @Test
  void selectChangesTheDatabaseAndRejectsABadIndex() {
    client.send("SELECT", "1").send("SELECT", "x");
    assertThat(client.replies())
        .isEqualTo("+OK\r\n-ERR value is not an integer or out of range\r\n");
  }

  @Test
  void helloThreeSwitchesTheSessionToResp3Connections() {
    client.send("HELLO", "3");
    assertThat(client.replies()).startsWith("%");
    client.send("GET", "k");
    assertThat(core.nodes.received(PRIMARY))
        .anySatisfy(args -> assertThat(args).startsWith("HELLO", "3"));
    assertThat(core.nodes.commandsTo(PRIMARY)).endsWith("GET k");
  }

  @Test
  void quitAnswersOkAndClosesTheConnection() {
    client.send("QUIT");
    assertThat(client.replies()).isEqualTo("+OK\r\n");
    assertThat(client.channel.isOpen()).isFalse();
  }

  @Test
  void aProtocolErrorIsAnsweredThenTheConnectionCloses() {
    client.raw("*1\r\n$x\r\n");
    assertThat(client.replies()).startsWith("-ERR Protocol error");
    assertThat(client.channel.isOpen()).isFalse();
  }

  @Test
  void resetEndsSubscriptionsAndAnswersReset() {
    client.send("RESET");
    assertThat(client.replies()).isEqualTo("+RESET\r\n");
  }
}
