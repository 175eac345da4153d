package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * Replication offsets of the primary and its replicas at one moment, published to every event loop
 * by the replication monitor. Immutable.
 *
 * @param primaryOffset the primary's {@code master_repl_offset}, -1 while unknown
 * @param primaryAskedAtNanos when the {@code ROLE} request that returned {@code primaryOffset} was
 *     sent ({@link System#nanoTime}): every write answered before then is within that offset
 */
public record ReplicationSnapshot(
    HostAndPort primary,
    long primaryOffset,
    long primaryAskedAtNanos,
    List<ReplicaState> replicas) {

  public static final ReplicationSnapshot NONE = new ReplicationSnapshot(null, -1, 0, List.of());

  public ReplicationSnapshot {
    replicas = List.copyOf(replicas);
  }

  /** The state of {@code node}, or null when it is not a known replica. */
  public ReplicaState replica(HostAndPort node) {
    for (ReplicaState state : replicas) {
      if (state.node().equals(node)) {
        return state;
      }
    }
    return null;
  }
}
