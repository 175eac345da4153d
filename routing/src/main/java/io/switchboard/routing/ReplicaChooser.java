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
  private long freshnessNanos;
  private final Map<HostAndPort, Long> ejectedUntil = new HashMap<>();
  private final List<HostAndPort> candidates = new ArrayList<>();

  /**
   * @param freshness how old the replication snapshot may be for a replica to serve: its lag is
   *     only known as of then
   */
  public ReplicaChooser(Balancer balancer, Duration ejection, Duration freshness) {
    this.balancer = balancer;
    this.ejectionNanos = ejection.toNanos();
    this.freshnessNanos = freshness.toNanos();
  }

  /** A reload's lag bound, from which the freshness follows. */
  public void freshness(Duration freshness) {
    freshnessNanos = freshness.toNanos();
  }

  /**
   * Whether {@code shard}'s primary offset in {@code replication} is recent enough for its replicas
   * to serve now (each replica's own answer must be too): lag is measured against it.
   */
  public boolean fresh(ReplicationSnapshot replication, Shard shard, long now) {
    ReplicationSnapshot.PrimaryOffset primary =
        shard.hasPrimary() ? replication.primary(shard.primary()) : null;
    return primary != null && now - primary.askedAtNanos() <= freshnessNanos;
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
    // Stale offsets send a read to the primary while fresh ones are asked for; where the primary
    // may not serve (read-from = replica), a replica that qualified when last seen beats an error.
    boolean requireFresh = policy.primaryMayServe(floor >= 0);
    if (policy.readsReplicas()
        && replication.primary(shard.primary()) != null
        && (!requireFresh || fresh(replication, shard, now))) {
      List<ReplicaState> replicas = replication.replicas();
      for (int i = 0; i < replicas.size(); i++) { // indexed: no iterator per read
        ReplicaState replica = replicas.get(i);
        if (qualifies(replica, shard, floor, now, requireFresh)) {
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
    return state != null
        && qualifies(state, shard, floor, now, true)
        && fresh(replication, shard, now);
  }

  private boolean qualifies(
      ReplicaState replica, Shard shard, long floor, long now, boolean requireFresh) {
    return replica.eligible()
        && (!requireFresh || now - replica.askedAtNanos() <= freshnessNanos)
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
