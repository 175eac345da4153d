package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Connections one session holds alone: for a transaction, a blocking command or a subscription. At
 * most {@code limits.max-exclusive-connections} proxy-wide; a few idle ones are kept per pool key
 * for the next transaction or blocking call.
 */
public final class ExclusiveLeases {

  private record LeaseKey(HostAndPort node, int db, int protocol, BackendLogin login) {}

  /** Idle exclusive connections kept per key. */
  private static final int MAX_IDLE = 8;

  private final BackendLoop loop;
  private final BackendPools pools;
  private final SharedBudget budget;
  private final Map<LeaseKey, ArrayDeque<BackendConnection>> idle = new HashMap<>();
  private final Set<BackendConnection> held = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * @param budget {@code limits.max-exclusive-connections}, shared by every loop
   */
  public ExclusiveLeases(BackendLoop loop, BackendPools pools, SharedBudget budget) {
    this.loop = loop;
    this.pools = pools;
    this.budget = budget;
  }

  /**
   * A connection to {@code node} for one session alone, or null when {@code
   * limits.max-exclusive-connections} are all held. Give it back with {@link #release}.
   */
  public BackendConnection acquire(HostAndPort node, int db, int protocol, BackendLogin login) {
    BackendPool pool = pools.pool(node, db, protocol, login);
    if (pool == null || !budget.tryAcquire()) {
      return null;
    }
    ArrayDeque<BackendConnection> kept = idle.get(new LeaseKey(node, db, protocol, login));
    BackendConnection connection = kept == null ? null : kept.pollFirst();
    while (connection != null && !connection.idleAndReady()) {
      connection.close();
      connection = kept.pollFirst();
    }
    if (connection == null) {
      connection = new BackendConnection(loop, pool, true);
    }
    held.add(connection);
    return connection;
  }

  /** Takes back an exclusive connection; keeps it for reuse when its state is clean. */
  public void release(BackendConnection connection) {
    if (!held.remove(connection)) {
      return;
    }
    budget.release();
    BackendPool pool = connection.pool();
    boolean reusable =
        connection.idleAndReady()
            && !connection.tainted
            && connection.sink == null
            && loop.topology().serves(pool.node(), pool.primary());
    ArrayDeque<BackendConnection> kept =
        reusable
            ? idle.computeIfAbsent(
                new LeaseKey(pool.node(), pool.db(), pool.protocol(), pool.login()),
                k -> new ArrayDeque<>())
            : null;
    if (kept != null && kept.size() < MAX_IDLE) {
      kept.addFirst(connection);
    } else {
      connection.close();
    }
  }

  /** Connections to nodes that left the topology: idle ones close, held ones retire. */
  public void retireGone() {
    LoopTopology topology = loop.topology();
    for (Iterator<Map.Entry<LeaseKey, ArrayDeque<BackendConnection>>> it =
            idle.entrySet().iterator();
        it.hasNext(); ) {
      ArrayDeque<BackendConnection> kept = it.next().getValue();
      if (!kept.isEmpty()
          && !topology.serves(kept.peek().pool().node(), kept.peek().pool().primary())) {
        kept.forEach(BackendConnection::close);
        it.remove();
      }
    }
    for (BackendConnection connection : new ArrayList<>(held)) {
      if (!topology.serves(connection.pool().node(), connection.pool().primary())) {
        connection.retire();
      }
    }
  }

  /** Each held connection, over a copy. */
  public void forEachHeld(Consumer<BackendConnection> action) {
    new ArrayList<>(held).forEach(action);
  }

  /** Shutdown. */
  public void closeAll() {
    forEachHeld(BackendConnection::close);
    idle.values().forEach(kept -> kept.forEach(BackendConnection::close));
  }
}
