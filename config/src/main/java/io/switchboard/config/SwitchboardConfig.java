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
 * @param sentinel where the primary is learnt in Sentinel mode (no hosts in cluster mode)
 * @param cluster a Redis Cluster's seeds in cluster mode (none in Sentinel mode)
 * @param cache the near cache in the proxy
 * @param slowlog the proxy's log of slow commands (SLOWLOG)
 * @param hotkeys the approximate top keys by request rate
 * @param bigkeys large requests and replies recorded
 */
public record SwitchboardConfig(
    Endpoint listen,
    List<ListenerConfig> listeners,
    AdminConfig admin,
    ClientAuthConfig auth,
    ListenerTlsConfig tls,
    SentinelConfig sentinel,
    ClusterConfig cluster,
    RedisConfig redis,
    RoutingConfig routing,
    FailoverConfig failover,
    LimitsConfig limits,
    CacheConfig cache,
    SlowLogConfig slowlog,
    HotKeysConfig hotkeys,
    BigKeysConfig bigkeys,
    ServerConfig server) {

  public SwitchboardConfig {
    listeners = List.copyOf(listeners);
  }

  /** The main listener first, then the others. */
  public List<ListenerConfig> allListeners() {
    List<ListenerConfig> all = new ArrayList<>();
    all.add(
        new ListenerConfig(
            listen,
            routing.readFrom(),
            routing.consistency(),
            tls.onMainPort(),
            false,
            cache.enabled()));
    all.addAll(listeners);
    return all;
  }

  public SwitchboardConfig withSentinel(SentinelConfig newSentinel) {
    return new SwitchboardConfig(
        listen,
        listeners,
        admin,
        auth,
        tls,
        newSentinel,
        cluster,
        redis,
        routing,
        failover,
        limits,
        cache,
        slowlog,
        hotkeys,
        bigkeys,
        server);
  }

  public SwitchboardConfig withCluster(ClusterConfig newCluster) {
    return new SwitchboardConfig(
        listen,
        listeners,
        admin,
        auth,
        tls,
        sentinel,
        newCluster,
        redis,
        routing,
        failover,
        limits,
        cache,
        slowlog,
        hotkeys,
        bigkeys,
        server);
  }
}
