package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether commands may be sent to a shard's primary now: discovery names it, no failover of its
 * shard is under way, and ROLE confirmed it is a master. While a shard's gate is closed, its
 * primary's connections hold what sessions give them, in order, bounded by {@code
 * failover.hold-timeout} and {@code failover.hold-bytes}; a write the primary answers meanwhile
 * waits in {@link UnconfirmedAcks}. Other shards keep serving. One per event loop; a primary's pool
 * reads its shard's {@link Latch} directly, a field read per command.
 */
public final class WriteGate {

  /** One primary's gate: open while writes may reach it. */
  static final class Latch {
    boolean open;
  }

  private static final Logger log = LoggerFactory.getLogger(WriteGate.class);

  private final LoopTopology topology;
  private final java.util.function.Consumer<HostAndPort> onPrimaryDoubt;
  private final Runnable resumePrimaries;
  private final UnconfirmedAcks unconfirmedAcks;
  private final Set<HostAndPort> confirmed = new HashSet<>();
  private final Map<HostAndPort, Latch> latches = new HashMap<>();
  private long closedAtNanos = System.nanoTime();

  /**
   * @param onPrimaryDoubt asks discovery again, now; given a node, also has its ROLE reported again
   *     (null: no node in particular)
   * @param resumePrimaries gives every primary connection of the loop its held commands
   */
  WriteGate(
      LoopTopology topology,
      UnconfirmedAcks unconfirmedAcks,
      java.util.function.Consumer<HostAndPort> onPrimaryDoubt,
      Runnable resumePrimaries) {
    this.topology = topology;
    this.unconfirmedAcks = unconfirmedAcks;
    this.onPrimaryDoubt = onPrimaryDoubt;
    this.resumePrimaries = resumePrimaries;
  }

  /** The gate of {@code primary}, for its pools to read. */
  Latch latch(HostAndPort primary) {
    return latches.computeIfAbsent(primary, node -> new Latch());
  }

  /** Whether writes may reach {@code primary} now. */
  public boolean open(HostAndPort primary) {
    Latch latch = latches.get(primary);
    return latch != null && latch.open;
  }

  /** Whether every shard's primary takes writes now (the one primary, in Sentinel mode). */
  public boolean open() {
    Topology now = topology.current();
    for (Shard shard : now.shards()) {
      if (!shard.hasPrimary() || !open(shard.primary())) {
        return false;
      }
    }
    return true;
  }

  /** What the replication monitor's ROLE poll says about a named primary. */
  public void onPrimaryRole(HostAndPort node, boolean master) {
    if (master) {
      confirmed.add(node);
    } else {
      confirmed.remove(node);
    }
    update();
  }

  /**
   * A write came back READONLY from {@code node}: it is no primary any more, whatever the last
   * topology says. Writes to its shard wait until discovery and ROLE agree on one again.
   */
  public void doubtPrimary(HostAndPort node) {
    if (confirmed.remove(node)) {
      log.warn(
          "{} answered READONLY: it is no longer a primary; writes wait for the new one", node);
      update();
      onPrimaryDoubt.accept(node);
    }
  }

  /**
   * Something about the topology may have changed (a connection to a primary failed, a MOVED):
   * discovery asks again now. ROLE keeps being polled as usual; no gate closes.
   */
  public void askAgain() {
    onPrimaryDoubt.accept(null);
  }

  /**
   * A write the primary answered while its gate was closed: it was sent before a failover began and
   * may not survive it.
   */
  void holdAck(PendingCommand command, ByteBuf reply, HostAndPort node) {
    unconfirmedAcks.hold(command, reply, node);
  }

  /** Opens or closes each primary's gate for the current topology and confirmations. */
  public void update() {
    Topology now = topology.current();
    Set<HostAndPort> opening = new HashSet<>();
    Set<HostAndPort> primaries = new HashSet<>();
    for (Shard shard : now.shards()) {
      if (!shard.hasPrimary()) {
        continue;
      }
      primaries.add(shard.primary());
      boolean shouldOpen = !shard.failoverUnderway() && confirmed.contains(shard.primary());
      Latch latch = latch(shard.primary());
      if (shouldOpen && !latch.open) {
        opening.add(shard.primary());
      } else if (!shouldOpen && latch.open) {
        closedAtNanos = System.nanoTime();
      }
      latch.open = shouldOpen;
    }
    // A node that is no shard's primary any more takes no writes (its retired pools keep the
    // closed latch), and must be confirmed afresh, with a new latch, should it be named again:
    // both tables hold the current primaries only.
    confirmed.retainAll(primaries);
    latches
        .entrySet()
        .removeIf(
            entry -> {
              if (primaries.contains(entry.getKey())) {
                return false;
              }
              entry.getValue().open = false;
              return true;
            });
    if (opening.isEmpty()) {
      return;
    }
    unconfirmedAcks.check();
    log.debug(
        "Writes to {} resume after {} ms",
        opening,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedAtNanos));
    resumePrimaries.run();
  }

  /** Settles held acknowledgements the new topology decides. */
  public void checkHeldAcks() {
    unconfirmedAcks.check();
  }

  /** Shutdown: held acknowledgements are dropped. */
  public void releaseHeld() {
    unconfirmedAcks.releaseAll();
  }
}
