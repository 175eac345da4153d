package io.switchboard.config;

import java.time.Duration;
import java.util.List;

/**
 * Where a Redis Cluster starts to be found: its seed nodes (empty outside cluster mode), how often
 * its shards are asked for when nothing prompts it, and how a session's commands are ordered across
 * shards.
 */
public record ClusterConfig(List<HostAndPort> nodes, Duration refreshInterval, Order order) {

  public ClusterConfig {
    nodes = List.copyOf(nodes);
  }

  /** Whether the proxy fronts a Redis Cluster rather than a Sentinel-watched primary. */
  public boolean enabled() {
    return !nodes.isEmpty();
  }

  /** In which order a session's pipelined commands run on the servers. */
  public enum Order {
    /**
     * Per shard: a command waits only for its own shard's earlier commands (keyless and pinned
     * commands still wait for all), as a cluster-aware client's pipeline runs.
     */
    SHARD,
    /** As sent, across shards too: a command for another shard waits for those before it. */
    SESSION
  }
}
