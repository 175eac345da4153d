package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * Replication offsets of every shard's primary and of their replicas at one moment, published to
 * every event loop by the replication monitor. Immutable. A Sentinel deployment has one primary; a
 * cluster one per shard.
 */
public record ReplicationSnapshot(List<PrimaryOffset> primaries, List<ReplicaState> replicas) {

  /**
   * A primary's {@code master_repl_offset} as its {@code ROLE} answered.
   *
   * @param askedAtNanos when that {@code ROLE} request was sent ({@link System#nanoTime}): every
   *     write answered before then is within {@code offset}
   */
  public record PrimaryOffset(HostAndPort node, long offset, long askedAtNanos) {}

  public static final ReplicationSnapshot NONE = new ReplicationSnapshot(List.of(), List.of());

  public ReplicationSnapshot {
    primaries = List.copyOf(primaries);
    replicas = List.copyOf(replicas);
  }

  /** One primary (a Sentinel deployment); an offset of -1 means not known yet. */
  public ReplicationSnapshot(
      HostAndPort primary, long primaryOffset, long askedAtNanos, List<ReplicaState> replicas) {
    this(
        primary == null || primaryOffset < 0
            ? List.of()
            : List.of(new PrimaryOffset(primary, primaryOffset, askedAtNanos)),
        replicas);
  }

  /** What {@code node}'s last ROLE as master said, or null when it has not answered as one. */
  public PrimaryOffset primary(HostAndPort node) {
    for (int i = 0; i < primaries.size(); i++) {
      PrimaryOffset primary = primaries.get(i);
      if (primary.node().equals(node)) {
        return primary;
      }
    }
    return null;
  }

  /** The state of {@code node}, or null when it is not a known replica. */
  public ReplicaState replica(HostAndPort node) {
    for (int i = 0; i < replicas.size(); i++) {
      ReplicaState state = replicas.get(i);
      if (state.node().equals(node)) {
        return state;
      }
    }
    return null;
  }
}
