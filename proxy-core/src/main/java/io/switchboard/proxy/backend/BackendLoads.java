package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.metrics.BackendLoad;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Counts one event loop's backend connections per node and role: shared and held. */
public final class BackendLoads {

  private BackendLoads() {}

  /** Runs on the loop. */
  public static List<BackendLoad> of(BackendPools pools, ExclusiveLeases leases) {
    Map<HostAndPort, int[]> primaries = new HashMap<>();
    Map<HostAndPort, int[]> replicas = new HashMap<>();
    pools.forEachShared(
        pool -> {
          int[] totals =
              (pool.primary() ? primaries : replicas).computeIfAbsent(pool.node(), n -> new int[2]);
          pool.forEach(
              connection -> {
                totals[0]++;
                totals[1] += connection.load();
              });
        });
    leases.forEachHeld(
        held -> {
          BackendPool pool = held.pool();
          int[] totals =
              (pool.primary() ? primaries : replicas).computeIfAbsent(pool.node(), n -> new int[2]);
          totals[0]++;
          totals[1] += held.load();
        });
    List<BackendLoad> out = new ArrayList<>();
    primaries.forEach((node, t) -> out.add(new BackendLoad(node, true, t[0], t[1])));
    replicas.forEach((node, t) -> out.add(new BackendLoad(node, false, t[0], t[1])));
    return out;
  }
}
