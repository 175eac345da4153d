package io.switchboard.config;

import java.time.Duration;
import java.util.List;

/**
 * Where a Redis Cluster starts to be found: its seed nodes (empty outside cluster mode), and how
 * often its shards are asked for when nothing prompts it.
 */
public record ClusterConfig(List<HostAndPort> nodes, Duration refreshInterval) {

  public ClusterConfig {
    nodes = List.copyOf(nodes);
  }

  /** Whether the proxy fronts a Redis Cluster rather than a Sentinel-watched primary. */
  public boolean enabled() {
    return !nodes.isEmpty();
  }
}
