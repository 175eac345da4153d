package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.backend.EmbeddedNodes;
import org.junit.jupiter.api.Test;

/** Lua scripts across nodes: loaded everywhere, loaded again where missing. */
class ScriptsTest {

  private static final String BODY = "return 1";
  private static final String SHA = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

  @Test
  void scriptLoadReachesEveryNodeAndThePrimaryAnswers() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("SCRIPT", "LOAD", BODY);
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("SCRIPT LOAD " + BODY);
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("SCRIPT LOAD " + BODY);
      core.answer(PRIMARY, "$40\r\n" + SHA + "\r\n");
      assertThat(client.replies()).isEqualTo("$40\r\n" + SHA + "\r\n");
    }
  }

  @Test
  void aReadOnlyScriptCallFirstLoadsTheBodyOnAReplicaThatLacksIt() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("EVAL", BODY, "0");
      core.answer(PRIMARY, ":1\r\n");
      core.topology(PRIMARY, REPLICA, CoreHarness.OTHER);
      core.replicasFit(100, CoreHarness.OTHER);
      client.send("EVALSHA_RO", SHA, "0");
      assertThat(core.nodes.commandsTo(CoreHarness.OTHER))
          .containsExactly("SCRIPT LOAD " + BODY, "EVALSHA_RO " + SHA + " 0");
    }
  }

  @Test
  void noscriptIsAnsweredByLoadingTheBodyAndRunningAgain() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SCRIPT", "LOAD", BODY);
      core.answer(PRIMARY, "$40\r\n" + SHA + "\r\n");
      client.replies();
      client.send("EVALSHA", SHA, "0");
      assertThat(core.nodes.pending(PRIMARY))
          .as("the client's SCRIPT LOAD went there: no second load")
          .extracting(EmbeddedNodes.Request::name)
          .containsExactly("EVALSHA");
      // Someone flushed the scripts in between: the call meets NOSCRIPT, and runs again.
      core.answer(PRIMARY, "-NOSCRIPT No matching script.\r\n");
      assertThat(core.nodes.pending(PRIMARY))
          .extracting(EmbeddedNodes.Request::name)
          .containsExactly("SCRIPT", "EVALSHA");
      core.answer(PRIMARY, "$40\r\n" + SHA + "\r\n");
      core.answer(PRIMARY, ":1\r\n");
      assertThat(client.replies()).isEqualTo(":1\r\n");
    }
  }

  @Test
  void noscriptWithoutAKnownBodyReachesTheClient() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("EVALSHA", SHA, "0");
      core.answer(PRIMARY, "-NOSCRIPT No matching script.\r\n");
      assertThat(client.replies()).isEqualTo("-NOSCRIPT No matching script.\r\n");
    }
  }
}
