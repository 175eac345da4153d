package io.switchboard.proxy.discovery;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * Where the proxy learns its {@link io.switchboard.routing.Topology}: the Sentinels of one primary
 * ({@link SentinelWatcher}) or a Redis Cluster's own nodes ({@link ClusterWatcher}). Each publishes
 * immutable snapshots to the {@link TopologyListener} it was made with.
 */
public interface TopologySource extends AutoCloseable {

  void start();

  /** Asks again now (a primary's role changed, a MOVED came back, an operator asked). */
  void refreshNow();

  /** The nodes it asks and whether they answer, for the admin endpoint and metrics. */
  List<SourceStatus> status();

  /** "Sentinel" or "cluster": how the admin endpoint and logs name the source. */
  String kind();

  /**
   * Starts a failover of the primary through this source, returning the node that accepted it.
   *
   * @throws IllegalStateException when none accepted, or this source cannot start one
   */
  HostAndPort requestFailover();

  @Override
  void close();
}
