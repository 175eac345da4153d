package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static io.switchboard.proxy.session.CoreHarness.REPLICA;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Checks before a command runs, and where each kind of command goes. */
class DispatchTest {

  @Test
  void withAPasswordSetCommandsNeedAuthFirst() {
    try (CoreHarness core = new CoreHarness("switchboard.auth.password = s3cret").started()) {
      CoreHarness.Client client = core.client();
      client.send("GET", "k");
      assertThat(client.replies()).isEqualTo("-NOAUTH Authentication required.\r\n");
      client.send("AUTH", "s3cret").send("GET", "k");
      assertThat(client.replies()).isEqualTo("+OK\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("GET k");
    }
  }

  @Test
  void aReloadThatDropsThePasswordLetsAClientThatNeverLoggedInRun() {
    try (CoreHarness core = new CoreHarness("switchboard.auth.password = s3cret").started()) {
      CoreHarness.Client client = core.client();
      client.send("GET", "k");
      assertThat(client.replies()).isEqualTo("-NOAUTH Authentication required.\r\n");
      io.switchboard.config.SwitchboardConfig open =
          io.switchboard.config.ConfigLoader.parse(
              "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n");
      core.auth.prepare(open.auth(), core.facts.commands()).run();
      core.loop.reconfigure(open);
      client.send("GET", "k");
      assertThat(core.nodes.commandsTo(PRIMARY))
          .as("as after CONFIG SET requirepass \"\"")
          .containsExactly("GET k");
    }
  }

  @Test
  void aDeniedCommandIsRefusedWithTheSettingNamed() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.deny = [KEYS]").started()) {
      CoreHarness.Client client = core.client();
      client.send("KEYS", "*");
      assertThat(client.replies())
          .isEqualTo(
              "-ERR 'keys' is denied by this proxy's configuration (switchboard.routing.deny)\r\n");
      assertThat(core.nodes.commandsTo(PRIMARY)).isEmpty();
    }
  }

  @Test
  void commandsThatNeedTheirOwnServerConnectionAreRefused() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("MONITOR");
      assertThat(client.replies()).startsWith("-ERR 'monitor' is not supported by Switchboard");
    }
  }

  @Test
  void anUnknownCommandGoesToThePrimaryForRedisToJudge() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      core.replicasFit(100, REPLICA);
      CoreHarness.Client client = core.client();
      client.send("MYMODULE.READ", "k");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("MYMODULE.READ k");
      core.answer(PRIMARY, "-ERR unknown command 'MYMODULE.READ'\r\n");
      assertThat(client.replies()).isEqualTo("-ERR unknown command 'MYMODULE.READ'\r\n");
    }
  }

  @Test
  void configSetReachesEveryNodeAndThePrimaryAnswers() {
    try (CoreHarness core = new CoreHarness().started(REPLICA)) {
      CoreHarness.Client client = core.client();
      client.send("CONFIG", "SET", "maxmemory", "1mb");
      assertThat(core.nodes.commandsTo(REPLICA)).containsExactly("CONFIG SET maxmemory 1mb");
      assertThat(core.nodes.commandsTo(PRIMARY)).containsExactly("CONFIG SET maxmemory 1mb");
      core.answer(REPLICA, "-ERR replica says no\r\n");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n");
    }
  }

  @Test
  void inSubscriberModeOnlyTheSubscribeFamilyRuns() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SUBSCRIBE", "news");
      core.answer(PRIMARY, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
      client.replies();
      client.send("GET", "k");
      assertThat(client.replies())
          .isEqualTo(
              "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT /"
                  + " RESET are allowed in this context\r\n");
    }
  }

  @Test
  void pingInSubscriberModeAnswersAsASubscriberGetsIt() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      client.send("SUBSCRIBE", "news");
      core.answer(PRIMARY, "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
      client.replies();
      client.send("PING");
      assertThat(client.replies()).isEqualTo("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    }
  }

  @Test
  void commandsBeforeTheFirstPrimaryIsKnownWaitForIt() {
    try (CoreHarness core = new CoreHarness()) {
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v").send("PING");
      assertThat(client.replies()).isEmpty();
      core.topology(PRIMARY);
      core.confirm(PRIMARY);
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n+PONG\r\n");
    }
  }
}
