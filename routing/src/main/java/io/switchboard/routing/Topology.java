package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * What the proxy believes about the deployment at one moment: an immutable snapshot, replaced whole
 * when anything changes.
 *
 * @param primary null while no Sentinel has named one
 * @param configEpoch the Sentinels' config epoch for the primary, -1 when unknown; it grows with
 *     every failover, so the highest one names the current primary
 * @param failoverUnderway a Sentinel is replacing the primary (or agrees it is down): writes must
 *     wait, because one that reaches the old primary now may be lost with it
 * @param problem why there is no primary, in words fit for a client error; with a primary, why the
 *     topology may be stale (no Sentinel answers)
 */
public record Topology(
    String masterName,
    HostAndPort primary,
    List<HostAndPort> replicas,
    long configEpoch,
    boolean failoverUnderway,
    String problem) {

  public Topology {
    replicas = List.copyOf(replicas);
  }

  public static Topology unknown(String masterName, String problem) {
    return new Topology(masterName, null, List.of(), -1, false, problem);
  }

  public static Topology of(String masterName, HostAndPort primary, List<HostAndPort> replicas) {
    return new Topology(masterName, primary, replicas, -1, false, null);
  }

  public boolean hasPrimary() {
    return primary != null;
  }

  /** True when a primary is known but no Sentinel confirms it any more. */
  public boolean degraded() {
    return primary != null && problem != null;
  }

  /** The same primary and replicas, marked as no longer confirmed by any Sentinel. */
  public Topology degraded(String why) {
    return new Topology(masterName, primary, replicas, configEpoch, failoverUnderway, why);
  }
}
