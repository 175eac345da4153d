package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.OTHER;
import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.backend.EmbeddedNodes;
import org.junit.jupiter.api.Test;

/** Subscriptions and blocking commands: connections of their own, moved on failover. */
class SubscriptionAndBlockingTest {

  private static final String SUBSCRIBED = "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n";

  @Test
  void aSubscriptionGetsItsOwnConnectionAndItsMessages() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SUBSCRIBE", "news");
      core.answer(PRIMARY, SUBSCRIBED);
      core.nodes
          .channels(PRIMARY)
          .get(0)
          .writeInbound(
              io.netty.buffer.Unpooled.copiedBuffer(
                  "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
                  java.nio.charset.StandardCharsets.UTF_8));
      core.pump();
      assertThat(client.replies())
          .isEqualTo(SUBSCRIBED + "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
    }
  }

  @Test
  void aSubscriptionMovesToTheNewPrimaryAndTheClientSeesNoConfirmationTwice() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SUBSCRIBE", "news");
      core.answer(PRIMARY, SUBSCRIBED);
      assertThat(client.replies()).isEqualTo(SUBSCRIBED);
      core.topology(OTHER);
      core.confirm(OTHER);
      assertThat(core.nodes.commandsTo(OTHER)).containsExactly("SUBSCRIBE news");
      core.answer(OTHER, SUBSCRIBED);
      assertThat(client.replies()).isEmpty();
      assertThat(client.channel.isOpen()).isTrue();
    }
  }

  @Test
  void unsubscribingAllChannelsLeavesSubscriberMode() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SUBSCRIBE", "news");
      core.answer(PRIMARY, SUBSCRIBED);
      client.send("UNSUBSCRIBE");
      core.answer(PRIMARY, "*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n");
      client.replies();
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).endsWith("GET k");
    }
  }

  @Test
  void aBlockingCommandBorrowsAConnectionSoOthersKeepFlowing() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client blocked = core.client();
      CoreHarness.Client other = core.client();
      blocked.send("BLPOP", "q", "0");
      other.send("INCR", "n");
      assertThat(core.nodes.channels(PRIMARY)).hasSize(2);
      assertThat(core.nodes.pending(PRIMARY))
          .extracting(EmbeddedNodes.Request::name)
          .containsExactly("BLPOP", "INCR");
      // The shared connection answers while BLPOP still blocks its own.
      core.nodes.answer(PRIMARY, "INCR", ":1\r\n");
      core.pump();
      assertThat(other.replies()).isEqualTo(":1\r\n");
      assertThat(blocked.replies()).isEmpty();
      core.nodes.answer(PRIMARY, "BLPOP", "*-1\r\n");
      core.pump();
      assertThat(blocked.replies()).isEqualTo("*-1\r\n");
    }
  }

  @Test
  void aBlockingCommandHeldThroughAFailoverRunsOnTheNewPrimary() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      core.failoverUnderway();
      client.send("BLPOP", "q", "1");
      core.topology(OTHER);
      core.confirm(OTHER);
      assertThat(core.nodes.commandsTo(OTHER)).contains("BLPOP q 1");
      assertThat(core.nodes.commandsTo(PRIMARY)).doesNotContain("BLPOP q 1");
    }
  }

  @Test
  void clientListShowsABlockedClientWithTheBFlag() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client blocked = core.client();
      CoreHarness.Client asker = core.client();
      blocked.send("BLPOP", "q", "0");
      asker.send("CLIENT", "LIST", "ID", Long.toString(blocked.session().id));
      assertThat(asker.replies()).contains("flags=b").contains("cmd=blpop");
    }
  }
}
