package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * What the proxy believes about the deployment at one moment: its shards, as discovery last saw
 * them. An immutable snapshot, replaced whole when anything changes.
 *
 * <p>A Sentinel deployment is one shard holding every slot; the shortcuts {@link #primary()},
 * {@link #replicas()} and the like read that shard. Routing by key ({@link #shardFor}) is the same
 * for one shard and for many.
 *
 * @param problem why there is no primary, in words fit for a client error; with a primary, why the
 *     topology may be stale (discovery gets no answers)
 */
public record Topology(List<Shard> shards, String problem) {

  public Topology {
    shards = List.copyOf(shards);
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("a topology has at least one shard");
    }
  }

  /** A Sentinel master: one shard with every slot. */
  public static Topology sentinel(
      String masterName,
      HostAndPort primary,
      List<HostAndPort> replicas,
      long configEpoch,
      boolean failoverUnderway,
      String problem) {
    return new Topology(
        List.of(Shard.whole(masterName, primary, replicas, configEpoch, failoverUnderway)),
        problem);
  }

  public static Topology unknown(String masterName, String problem) {
    return sentinel(masterName, null, List.of(), -1, false, problem);
  }

  public static Topology of(String masterName, HostAndPort primary, List<HostAndPort> replicas) {
    return sentinel(masterName, primary, replicas, -1, false, null);
  }

  /**
   * Shards in the order of their lowest slot. Nodes list a cluster's shards in orders of their own;
   * sorted, the same cluster is the same topology whoever answered, and the first shard (which
   * serves keyless commands, subscriptions and PUBLISH) is the one holding slot 0.
   */
  public static List<Shard> bySlot(List<Shard> shards) {
    List<Shard> sorted = new java.util.ArrayList<>(shards);
    sorted.sort(java.util.Comparator.comparingInt(Shard::lowestSlot));
    return sorted;
  }

  /** The shard that holds {@code slot}, or null when no shard claims it. */
  public Shard shardFor(int slot) {
    for (int i = 0; i < shards.size(); i++) {
      if (shards.get(i).holds(slot)) {
        return shards.get(i);
      }
    }
    return null;
  }

  /**
   * The shard {@code node} serves, as primary or replica; for a node that serves none, the only
   * shard of a single-shard deployment (the one it served), else null.
   */
  public Shard shardOf(HostAndPort node) {
    for (int i = 0; i < shards.size(); i++) {
      Shard shard = shards.get(i);
      if (node.equals(shard.primary()) || shard.replicas().contains(node)) {
        return shard;
      }
    }
    return shards.size() == 1 ? shards.get(0) : null;
  }

  /** The shard of a single-shard (Sentinel) deployment. */
  public Shard only() {
    return shards.get(0);
  }

  public String masterName() {
    return only().name();
  }

  public HostAndPort primary() {
    return only().primary();
  }

  public List<HostAndPort> replicas() {
    return only().replicas();
  }

  public long configEpoch() {
    return only().configEpoch();
  }

  public boolean failoverUnderway() {
    return only().failoverUnderway();
  }

  public boolean hasPrimary() {
    return only().hasPrimary();
  }

  /** Whether {@code node} serves some shard in that role now. */
  public boolean serves(HostAndPort node, boolean asPrimary) {
    for (int i = 0; i < shards.size(); i++) {
      if (shards.get(i).serves(node, asPrimary)) {
        return true;
      }
    }
    return false;
  }

  /** True when a primary is known but discovery no longer confirms it. */
  public boolean degraded() {
    return hasPrimary() && problem != null;
  }

  /** The same shards, marked as no longer confirmed by discovery. */
  public Topology degraded(String why) {
    return new Topology(shards, why);
  }

  /** The same shards, the (only) shard's failover under way. */
  public Topology withFailoverUnderway() {
    return new Topology(List.of(only().withFailoverUnderway(true)), problem);
  }
}
