package io.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConfigDiffTest {

  private static final String SENTINEL = "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n";

  @Test
  void changedSettingsAreNamedByTheirKeys() {
    SwitchboardConfig before = ConfigLoader.parse(SENTINEL);
    SwitchboardConfig after =
        ConfigLoader.parse(
            SENTINEL
                + "switchboard.routing.max-replica-lag = 2s\n"
                + "switchboard.limits.max-clients = 7\n"
                + "switchboard.redis.password = changed\n"
                + "switchboard.auth.users = [{ name = app, password = x }]\n"
                + "switchboard.server.log-level = warn\n");

    assertThat(ConfigDiff.changedKeys(before, after))
        .containsExactly(
            "switchboard.auth.users",
            "switchboard.sentinel.password", // which defaults to redis.password
            "switchboard.redis.password",
            "switchboard.routing.max-replica-lag",
            "switchboard.limits.max-clients",
            "switchboard.server.log-level");
    assertThat(ConfigDiff.changedKeys(after, after)).isEmpty();
  }

  @Test
  void anUnknownLogLevelIsNamed() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> ConfigLoader.parse(SENTINEL + "switchboard.server.log-level = loud\n"))
        .hasMessage(
            "switchboard.server.log-level: 'loud' is not one of trace, debug, info, warn, error");
  }
}
