package io.switchboard.proxy.session;

import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;

/**
 * A session's order per shard, in front of several shards (cluster mode): for each shard, the
 * connection its outstanding commands went to and how many there are. A command for one shard need
 * not wait for another shard's replies (their keys are disjoint, so no client can see the order in
 * which two shards ran them), only for its own shard's when they went to another connection (a
 * replica read after a write to the primary).
 *
 * <p>Lanes are named by the {@link Shard}s of one topology snapshot; they start over with the next
 * snapshot once nothing is outstanding (until then the queue orders as if there were one shard).
 * There are at most as many lanes as that snapshot has shards.
 */
final class ShardLanes {

  private Topology topology;
  private Shard[] shards = new Shard[4];
  private BackendConnection[] connections = new BackendConnection[4];
  private int[] outstanding = new int[4];
  private int size;

  /**
   * Whether lanes may order commands in {@code current}: they were named in it, or nothing is
   * outstanding and they start over in it.
   */
  boolean followTopology(Topology current, int outstandingInSession) {
    if (topology == current) {
      return true;
    }
    if (outstandingInSession > 0) {
      return false;
    }
    topology = current;
    java.util.Arrays.fill(shards, 0, size, null);
    java.util.Arrays.fill(connections, 0, size, null);
    java.util.Arrays.fill(outstanding, 0, size, 0);
    size = 0;
    return true;
  }

  /** The lane of {@code shard} (of the followed topology), made on first use. */
  int laneOf(Shard shard) {
    for (int i = 0; i < size; i++) {
      if (shards[i] == shard) {
        return i;
      }
    }
    if (size == shards.length) {
      int grown = size * 2;
      shards = java.util.Arrays.copyOf(shards, grown);
      connections = java.util.Arrays.copyOf(connections, grown);
      outstanding = java.util.Arrays.copyOf(outstanding, grown);
    }
    shards[size] = shard;
    return size++;
  }

  /** Whether a command of {@code lane} may go to {@code target} now. */
  boolean mayGo(int lane, BackendConnection target) {
    return outstanding[lane] == 0 || connections[lane] == target;
  }

  void sent(int lane, BackendConnection target) {
    connections[lane] = target;
    outstanding[lane]++;
  }

  /**
   * One of the commands sent on {@code connection} in a lane has its reply. A connection serves one
   * lane at a time: a lane's commands share one, and two shards share no node.
   */
  void answered(BackendConnection connection) {
    for (int i = 0; i < size; i++) {
      if (connections[i] == connection && outstanding[i] > 0) {
        outstanding[i]--;
        return;
      }
    }
  }

  /** The connection {@code shard}'s outstanding commands went to, or null when it has none. */
  BackendConnection busyConnection(Shard shard) {
    for (int i = 0; i < size; i++) {
      if (shards[i] == shard) {
        return outstanding[i] > 0 ? connections[i] : null;
      }
    }
    return null;
  }
}
