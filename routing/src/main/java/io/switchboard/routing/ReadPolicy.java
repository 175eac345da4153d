package io.switchboard.routing;

import io.switchboard.config.RoutingConfig.Consistency;
import io.switchboard.config.RoutingConfig.ReadFrom;

/**
 * Which nodes of a shard may answer a read: small strategy objects chosen by name from the
 * configuration, as Lettuce's {@code ReadFrom}. The replicas a policy admits are those the
 * replication monitor calls eligible and that have applied the session's read floor ({@link
 * ReadFloor}); the policy decides about the primary.
 */
public interface ReadPolicy {

  /** Every read on the primary. */
  ReadPolicy PRIMARY = new Named("primary", false, false, true);

  /** An eligible replica, else the primary. */
  ReadPolicy PREFER_REPLICA = new Named("prefer-replica", true, false, true);

  /**
   * An eligible replica only; with none, a clear error. After the session's own write (a read
   * floor) the primary serves too: it is the one node sure to have that write.
   */
  ReadPolicy REPLICA = new Named("replica", true, false, false);

  /** The primary and the eligible replicas alike. */
  ReadPolicy ANY = new Named("any", true, true, true);

  /** Whether reads may go to a replica at all. */
  boolean readsReplicas();

  /**
   * Whether the primary is a candidate beside the replicas. Not while the session waits for its
   * writes to reach a replica: the primary is then the fallback, not a peer.
   */
  boolean primaryCompetes(boolean floorSet);

  /** Whether the primary may serve a read: as the fallback, or as a peer. */
  boolean primaryMayServe(boolean floorSet);

  /** The policy for a listener's settings: consistency {@code primary} overrides any read-from. */
  static ReadPolicy of(ReadFrom readFrom, Consistency consistency) {
    if (consistency == Consistency.PRIMARY) {
      return PRIMARY;
    }
    return switch (readFrom) {
      case PRIMARY -> PRIMARY;
      case PREFER_REPLICA -> PREFER_REPLICA;
      case REPLICA -> REPLICA;
      case ANY -> ANY;
    };
  }

  /** The built-in policies. */
  record Named(String name, boolean readsReplicas, boolean competes, boolean fallsBack)
      implements ReadPolicy {

    @Override
    public boolean primaryCompetes(boolean floorSet) {
      return competes && !floorSet;
    }

    @Override
    public boolean primaryMayServe(boolean floorSet) {
      return fallsBack || floorSet;
    }

    @Override
    public String toString() {
      return name;
    }
  }
}
