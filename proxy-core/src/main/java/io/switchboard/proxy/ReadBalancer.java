package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.RoutingConfig;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks the node that answers a read, per event loop: among the replicas the replication monitor
 * calls eligible (up, linked, synced, within the lag bound), minus those this loop has ejected for
 * answering slowly, and that have applied at least the session's read floor (read-your-writes).
 * Least outstanding requests of two random choices by default, or round robin.
 */
final class ReadBalancer {

  private final LoopBackends loop;
  private final RoutingConfig routing;
  private final Map<HostAndPort, Long> ejectedUntil = new HashMap<>();
  private final List<HostAndPort> candidates = new ArrayList<>();
  private int roundRobin;

  ReadBalancer(LoopBackends loop, RoutingConfig routing) {
    this.loop = loop;
    this.routing = routing;
  }

  /**
   * A node for a read, or null when no replica qualifies (the caller decides between the primary
   * and an error).
   *
   * @param withPrimary the primary competes with the replicas (read policy {@code any})
   * @param minOffset the replication offset the node must have applied; -1 for none
   */
  HostAndPort pick(int db, int protocol, boolean withPrimary, long minOffset) {
    Topology topology = loop.topology();
    ReplicationSnapshot replication = loop.replication();
    candidates.clear();
    if (withPrimary && minOffset < 0) {
      candidates.add(topology.primary());
    }
    if (topology.primary() != null && topology.primary().equals(replication.primary())) {
      long now = System.nanoTime();
      List<ReplicaState> replicas = replication.replicas();
      for (int i = 0; i < replicas.size(); i++) { // indexed: no iterator per read
        ReplicaState replica = replicas.get(i);
        if (replica.eligible()
            && replica.offset() >= minOffset
            && topology.replicas().contains(replica.node())
            && !ejected(replica.node(), now)) {
          candidates.add(replica.node());
        }
      }
    }
    int n = candidates.size();
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return candidates.get(0);
    }
    if (routing.balancing() == RoutingConfig.Balancing.ROUND_ROBIN) {
      roundRobin = (roundRobin + 1) % n;
      return candidates.get(roundRobin);
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    HostAndPort first = candidates.get(a);
    HostAndPort second = candidates.get(b);
    return loop.load(first, db, protocol) <= loop.load(second, db, protocol) ? first : second;
  }

  /** Whether {@code node} may serve this session's reads now. */
  boolean mayRead(HostAndPort node, long minOffset) {
    ReplicationSnapshot replication = loop.replication();
    ReplicaState state = replication.replica(node);
    return state != null
        && state.eligible()
        && state.offset() >= minOffset
        && loop.topology().replicas().contains(node)
        && !ejected(node, System.nanoTime());
  }

  /** Stops reads to {@code node} on this loop for {@code routing.outlier-ejection}. */
  void eject(HostAndPort node) {
    ejectedUntil.put(node, System.nanoTime() + routing.outlierEjection().toNanos());
  }

  boolean ejected(HostAndPort node, long now) {
    Long until = ejectedUntil.get(node);
    if (until == null) {
      return false;
    }
    if (now - until >= 0) {
      ejectedUntil.remove(node);
      return false;
    }
    return true;
  }
}
