package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import io.switchboard.routing.Topology;
import java.util.Objects;

/**
 * The topology one event loop acts on now, and a generation that changes whenever sessions must
 * look their backend connection up again. Replaced on the loop's thread only.
 */
public final class LoopTopology {

  private Topology current;
  private int generation;

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
    return previous;
  }

  /** Whether {@code node} still serves in that role. */
  boolean serves(HostAndPort node, boolean asPrimary) {
    return current.serves(node, asPrimary);
  }
}
