package io.switchboard.config;

/** The whole, validated configuration. Built once at start-up by {@link ConfigLoader}. */
public record SwitchboardConfig(
    Endpoint listen,
    Endpoint admin,
    SentinelConfig sentinel,
    RedisConfig redis,
    LimitsConfig limits,
    ServerConfig server) {

  public SwitchboardConfig withListen(Endpoint newListen) {
    return new SwitchboardConfig(newListen, admin, sentinel, redis, limits, server);
  }

  public SwitchboardConfig withSentinel(SentinelConfig newSentinel) {
    return new SwitchboardConfig(listen, admin, newSentinel, redis, limits, server);
  }
}
