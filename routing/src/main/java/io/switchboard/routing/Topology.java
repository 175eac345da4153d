package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.List;

/**
 * What the proxy believes about the deployment at one moment: an immutable snapshot, replaced whole
 * when anything changes. {@code primary} is null while no Sentinel has named one, and then {@code
 * problem} says why, in words fit for a client error.
 */
public record Topology(
    String masterName, HostAndPort primary, List<HostAndPort> replicas, String problem) {

  public Topology {
    replicas = List.copyOf(replicas);
  }

  public static Topology unknown(String masterName, String problem) {
    return new Topology(masterName, null, List.of(), problem);
  }

  public static Topology of(String masterName, HostAndPort primary, List<HostAndPort> replicas) {
    return new Topology(masterName, primary, replicas, null);
  }

  public boolean hasPrimary() {
    return primary != null;
  }
}
