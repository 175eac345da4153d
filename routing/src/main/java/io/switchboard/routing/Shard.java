package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * One primary and its replicas, holding the keys of some hash slots. A Sentinel master is one shard
 * that holds every key; a Redis Cluster is several, each with its slot ranges. Immutable.
 *
 * @param name the Sentinel master's name (or, in a cluster, the primary's node id)
 * @param primary null while discovery has named none
 * @param configEpoch the config epoch that named this primary, -1 when unknown; it grows with every
 *     failover, so the highest one names the current primary
 * @param failoverUnderway the primary is being replaced (or agreed to be down): writes must wait,
 *     because one that reaches the old primary now may be lost with it
 */
public record Shard(
    String name,
    HostAndPort primary,
    List<HostAndPort> replicas,
    List<SlotRange> slots,
    long configEpoch,
    boolean failoverUnderway) {

  public Shard {
    replicas = List.copyOf(replicas);
    slots = List.copyOf(slots);
  }

  /** The one shard of a Sentinel deployment: every slot. */
  public static Shard whole(
      String name,
      HostAndPort primary,
      List<HostAndPort> replicas,
      long configEpoch,
      boolean failoverUnderway) {
    return new Shard(
        name, primary, replicas, List.of(SlotRange.ALL), configEpoch, failoverUnderway);
  }

  public boolean hasPrimary() {
    return primary != null;
  }

  public boolean holds(int slot) {
    for (int i = 0; i < slots.size(); i++) {
      if (slots.get(i).contains(slot)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first slot it holds ({@link Integer#MAX_VALUE} with none): what names the shard for keyless
   * parts of a command and in SCAN cursors.
   */
  public int lowestSlot() {
    int lowest = Integer.MAX_VALUE;
    for (int i = 0; i < slots.size(); i++) {
      lowest = Math.min(lowest, slots.get(i).first());
    }
    return lowest;
  }

  /** Whether {@code node} serves this shard in that role now. */
  public boolean serves(HostAndPort node, boolean asPrimary) {
    return asPrimary ? node.equals(primary) : replicas.contains(node);
  }

  /** The same shard, its failover under way (or over). */
  public Shard withFailoverUnderway(boolean underway) {
    return new Shard(name, primary, replicas, slots, configEpoch, underway);
  }
}
