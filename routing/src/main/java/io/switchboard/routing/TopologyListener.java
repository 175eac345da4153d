package io.switchboard.routing;

/** Receives each new topology snapshot; called from the Sentinel watcher's thread. */
@FunctionalInterface
public interface TopologyListener {
  void onTopology(Topology topology);
}
