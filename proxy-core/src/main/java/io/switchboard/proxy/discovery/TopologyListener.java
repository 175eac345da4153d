package io.switchboard.proxy.discovery;

import io.switchboard.routing.Topology;

/** Receives each new topology snapshot; called from the Sentinel watcher's thread. */
@FunctionalInterface
public interface TopologyListener {
  void onTopology(Topology topology);
}
