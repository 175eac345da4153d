package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Picks the node that answers a read, per event loop: among the replicas the replication monitor
 * calls eligible (up, linked, synced, within the lag bound), minus those this loop has ejected for
 * answering slowly, and that have applied at least the session's read floor; the read policy says
 * whether the primary competes. Times are {@link System#nanoTime} values passed in.
 */
public final class ReplicaChooser {

  private final Balancer balancer;
  private final long ejectionNanos;
  private final Map<HostAndPort, Long> ejectedUntil = new HashMap<>();
  private final List<HostAndPort> candidates = new ArrayList<>();

  public ReplicaChooser(Balancer balancer, Duration ejection) {
    this.balancer = balancer;
    this.ejectionNanos = ejection.toNanos();
  }

  /**
   * A node for a read, or null when none qualifies (the caller decides between the primary and an
   * error, with {@link ReadPolicy#primaryMayServe}).
   *
   * @param floor the replication offset the node must have applied; -1 for none ({@link ReadFloor})
   */
  public HostAndPort pick(
      Shard shard,
      ReplicationSnapshot replication,
      ReadPolicy policy,
      long floor,
      long now,
      ToIntFunction<HostAndPort> load) {
    candidates.clear();
    if (policy.primaryCompetes(floor >= 0) && shard.hasPrimary()) {
      candidates.add(shard.primary());
    }
    // Replica offsets only mean something against the offset of the primary they were read with.
    if (policy.readsReplicas()
        && shard.hasPrimary()
        && replication.primary(shard.primary()) != null) {
      List<ReplicaState> replicas = replication.replicas();
      for (int i = 0; i < replicas.size(); i++) { // indexed: no iterator per read
        ReplicaState replica = replicas.get(i);
        if (qualifies(replica, shard, floor, now)) {
          candidates.add(replica.node());
        }
      }
    }
    return candidates.isEmpty() ? null : balancer.choose(candidates, load);
  }

  /** Whether the replica {@code node} may serve a read with this floor now. */
  public boolean mayRead(
      Shard shard, ReplicationSnapshot replication, HostAndPort node, long floor, long now) {
    ReplicaState state = replication.replica(node);
    return state != null && qualifies(state, shard, floor, now);
  }

  private boolean qualifies(ReplicaState replica, Shard shard, long floor, long now) {
    return replica.eligible()
        && replica.offset() >= floor
        && shard.replicas().contains(replica.node())
        && !ejected(replica.node(), now);
  }

  /** Stops reads to {@code node} on this loop for the ejection time. */
  public void eject(HostAndPort node, long now) {
    ejectedUntil.put(node, now + ejectionNanos);
  }

  public boolean ejected(HostAndPort node, long now) {
    Long until = ejectedUntil.get(node);
    if (until == null) {
      return false;
    }
    if (now - until >= 0) {
      ejectedUntil.remove(node);
      return false;
    }
    return true;
  }
}
