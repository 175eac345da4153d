package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotRange;
import io.switchboard.routing.Topology;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The topology one event loop acts on now, and a generation that changes whenever sessions must
 * look their backend connection up again. Replaced on the loop's thread only.
 */
public final class LoopTopology {

  private Topology current;
  private int generation;

  /** When a shard last got another primary or other slots ({@link Long#MIN_VALUE}: never). */
  private long slotsMovedAtNanos = Long.MIN_VALUE;

  public LoopTopology(Topology initial) {
    this.current = initial;
  }

  public Topology current() {
    return current;
  }

  public int generation() {
    return generation;
  }

  /** Makes {@code next} current; returns the one it replaces. */
  public Topology replace(Topology next) {
    Topology previous = current;
    current = next;
    if (previous == null || !Objects.equals(previous.primary(), next.primary())) {
      generation++;
    }
    if (previous == null || !previous.replicas().equals(next.replicas())) {
      generation++;
    }
    if (previous != null && !ownership(previous).equals(ownership(next))) {
      slotsMovedAtNanos = System.nanoTime();
    }
    return previous;
  }

  /** Which primary holds which slots: what a resharding or a failover changes. */
  private static Map<HostAndPort, List<SlotRange>> ownership(Topology topology) {
    Map<HostAndPort, List<SlotRange>> owned = new HashMap<>();
    for (Shard shard : topology.shards()) {
      if (shard.hasPrimary()) {
        owned.put(shard.primary(), shard.slots());
      }
    }
    return owned;
  }

  /**
   * When slots last changed hands on this loop ({@link Long#MIN_VALUE}: never): read-your-writes
   * needs offsets asked after it.
   */
  public long slotsMovedAtNanos() {
    return slotsMovedAtNanos;
  }

  /** Whether {@code node} still serves in that role. */
  boolean serves(HostAndPort node, boolean asPrimary) {
    return current.serves(node, asPrimary);
  }
}
