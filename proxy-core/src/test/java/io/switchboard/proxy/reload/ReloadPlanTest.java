package io.switchboard.proxy.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.ConfigLoader;
import io.switchboard.config.Endpoint;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.RoutingConfig;
import io.switchboard.config.SwitchboardConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReloadPlanTest {

  private static final String BASE =
      "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n"
          + "switchboard.listen.port = 7000\n"
          + "switchboard.listeners = [{ port = 7001, read-from = replica }]\n";

  private static SwitchboardConfig config(String more) {
    return ConfigLoader.parse(BASE + more);
  }

  @Test
  void liveSettingsApplyAndDiscoverySettingsAreNamedForARestart() {
    SwitchboardConfig before = config("");
    SwitchboardConfig loaded =
        config(
            "switchboard.sentinel.master = other\n"
                + "switchboard.sentinel.hosts = \"127.0.0.1:26380\"\n"
                + "switchboard.routing.deny = [FLUSHALL]\n"
                + "switchboard.routing.max-replica-lag = 3s\n"
                + "switchboard.routing.offset-poll-interval = 20ms\n"
                + "switchboard.limits.max-clients = 5\n"
                + "switchboard.server.log-level = debug\n"
                + "switchboard.auth.password = secret\n");

    ReloadPlan plan = ReloadPlan.between(before, loaded, false);

    assertThat(plan.applied())
        .containsExactlyInAnyOrder(
            "switchboard.auth.password",
            "switchboard.routing.max-replica-lag",
            "switchboard.routing.deny",
            "switchboard.limits.max-clients",
            "switchboard.server.log-level");
    assertThat(plan.needsRestart())
        .containsExactlyInAnyOrder(
            "switchboard.sentinel.hosts",
            "switchboard.sentinel.master",
            "switchboard.routing.offset-poll-interval");
    SwitchboardConfig running = plan.running();
    assertThat(running.sentinel()).isEqualTo(before.sentinel());
    assertThat(running.routing().offsetPollInterval()).isEqualTo(Duration.ofMillis(5));
    assertThat(running.routing().maxReplicaLag()).isEqualTo(Duration.ofSeconds(3));
    assertThat(running.limits().maxClients()).isEqualTo(5);
    assertThat(plan.added()).isEmpty();
    assertThat(plan.removed()).isEmpty();
  }

  @Test
  void listenersAreAddedRemovedAndChangedByPort() {
    SwitchboardConfig before = config("");
    SwitchboardConfig loaded =
        config(
            "switchboard.listeners = [\n"
                + "  { port = 7002 }\n"
                + "  { port = 7003, tls = true }\n"
                + "]\n"
                + "switchboard.routing.read-from = primary\n"
                // Only checked to be readable here: no TLS context is built.
                + "switchboard.tls.cert-file = \""
                + java.nio.file.Path.of("pom.xml").toAbsolutePath()
                + "\"\n"
                + "switchboard.tls.key-file = \""
                + java.nio.file.Path.of("pom.xml").toAbsolutePath()
                + "\"\n");

    ReloadPlan plan = ReloadPlan.between(before, loaded, false);

    assertThat(plan.added().values())
        .extracting(ListenerConfig::endpoint)
        .containsExactly(new Endpoint("0.0.0.0", 7002), new Endpoint("0.0.0.0", 7003));
    assertThat(plan.removed().values())
        .extracting(ListenerConfig::endpoint)
        .containsExactly(new Endpoint("0.0.0.0", 7001));
    assertThat(plan.running().allListeners().get(0).readFrom())
        .as("the main port's read policy applies")
        .isEqualTo(RoutingConfig.ReadFrom.PRIMARY);
    assertThat(plan.added().values().stream().skip(1).findFirst().orElseThrow().tls())
        .as("no client TLS was set up at start: the new port cannot speak it yet")
        .isFalse();
    assertThat(plan.needsRestart())
        .contains("switchboard.listeners", "switchboard.tls.cert-file", "switchboard.tls.key-file");
  }

  @Test
  void aKeptPortsReadPolicyChangesAndItsTlsDoesNot() {
    SwitchboardConfig before = config("");
    SwitchboardConfig loaded =
        config(
            "switchboard.listeners = [{ port = 7001, read-from = primary, consistency = eventual"
                + " }]\n");

    ReloadPlan plan = ReloadPlan.between(before, loaded, true);

    assertThat(plan.added()).isEmpty();
    assertThat(plan.removed()).isEmpty();
    ListenerConfig kept = plan.running().listeners().get(0);
    assertThat(kept.readFrom()).isEqualTo(RoutingConfig.ReadFrom.PRIMARY);
    assertThat(kept.consistency()).isEqualTo(RoutingConfig.Consistency.EVENTUAL);
    assertThat(plan.applied()).containsExactly("switchboard.listeners");
    assertThat(plan.needsRestart()).isEmpty();
  }

  @Test
  void anUnchangedFileAppliesNothing() {
    ReloadPlan plan = ReloadPlan.between(config(""), config(""), true);
    assertThat(plan.applied()).isEmpty();
    assertThat(plan.needsRestart()).isEmpty();
  }
}
