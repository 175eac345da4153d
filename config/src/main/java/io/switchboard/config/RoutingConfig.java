package io.switchboard.config;

import java.time.Duration;
import java.util.Set;

/**
 * Where commands go: the default read policy and consistency (each listener may override them), how
 * reads are balanced over replicas, when a replica is fit to serve reads, and which commands the
 * proxy refuses.
 *
 * @param maxReplicaLagBytes 0 disables the byte bound
 */
public record RoutingConfig(
    ReadFrom readFrom,
    Consistency consistency,
    Balancing balancing,
    Duration maxReplicaLag,
    long maxReplicaLagBytes,
    Duration offsetPollInterval,
    Duration idlePollInterval,
    Duration outlierLatency,
    Duration outlierEjection,
    int scriptCacheSize,
    Set<String> deny) {

  public RoutingConfig {
    deny = Set.copyOf(deny);
  }

  /** Which nodes may answer read-only commands. */
  public enum ReadFrom {
    /** Every command goes to the primary. */
    PRIMARY,
    /** Reads go to an eligible replica, or to the primary when there is none. */
    PREFER_REPLICA,
    /** Reads go to an eligible replica only; with none, they fail with a clear error. */
    REPLICA,
    /** Reads are balanced over the primary and the eligible replicas alike. */
    ANY
  }

  /** What a session may read after its own writes. */
  public enum Consistency {
    /** Reads may go to a replica that has not yet seen the session's last write. */
    EVENTUAL,
    /** After a write, reads go to the primary until a replica has caught up with that write. */
    READ_YOUR_WRITES,
    /** Every read goes to the primary. */
    PRIMARY
  }

  /** How a read picks among eligible nodes. */
  public enum Balancing {
    /** Least outstanding requests of two nodes picked at random. */
    LEAST_OUTSTANDING,
    ROUND_ROBIN
  }
}
