package io.switchboard.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole, validated configuration. Built once at start-up by {@link ConfigLoader}.
 *
 * @param listen the main client port, which applies {@code routing}'s read policy and consistency
 * @param listeners further client ports, each with its own policy
 * @param auth what clients must present to the proxy
 * @param tls certificates for client ports that speak TLS
 */
public record SwitchboardConfig(
    Endpoint listen,
    List<ListenerConfig> listeners,
    AdminConfig admin,
    ClientAuthConfig auth,
    ListenerTlsConfig tls,
    SentinelConfig sentinel,
    RedisConfig redis,
    RoutingConfig routing,
    FailoverConfig failover,
    LimitsConfig limits,
    ServerConfig server) {

  public SwitchboardConfig {
    listeners = List.copyOf(listeners);
  }

  /** The main listener first, then the others. */
  public List<ListenerConfig> allListeners() {
    List<ListenerConfig> all = new ArrayList<>();
    all.add(
        new ListenerConfig(
            listen, routing.readFrom(), routing.consistency(), tls.onMainPort(), false));
    all.addAll(listeners);
    return all;
  }

  public SwitchboardConfig withListen(Endpoint newListen) {
    return new SwitchboardConfig(
        newListen, listeners, admin, auth, tls, sentinel, redis, routing, failover, limits, server);
  }

  public SwitchboardConfig withListeners(List<ListenerConfig> newListeners) {
    return new SwitchboardConfig(
        listen, newListeners, admin, auth, tls, sentinel, redis, routing, failover, limits, server);
  }

  public SwitchboardConfig withSentinel(SentinelConfig newSentinel) {
    return new SwitchboardConfig(
        listen, listeners, admin, auth, tls, newSentinel, redis, routing, failover, limits, server);
  }

  public SwitchboardConfig withFailover(FailoverConfig newFailover) {
    return new SwitchboardConfig(
        listen, listeners, admin, auth, tls, sentinel, redis, routing, newFailover, limits, server);
  }

  public SwitchboardConfig withRouting(RoutingConfig newRouting) {
    return new SwitchboardConfig(
        listen, listeners, admin, auth, tls, sentinel, redis, newRouting, failover, limits, server);
  }
}
