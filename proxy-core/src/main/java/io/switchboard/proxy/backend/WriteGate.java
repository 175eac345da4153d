package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.routing.Topology;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether commands may be sent to the primary now: discovery names it, no failover is under way,
 * and ROLE confirmed it is a master. While closed, the primary's connections hold what sessions
 * give them, in order, bounded by {@code failover.hold-timeout} and {@code failover.hold-bytes}; a
 * write the primary answers meanwhile waits in {@link UnconfirmedAcks}. One per event loop.
 */
public final class WriteGate {

  private static final Logger log = LoggerFactory.getLogger(WriteGate.class);

  private final LoopTopology topology;
  private final Runnable onPrimaryDoubt;
  private final Runnable resumePrimaries;
  private final UnconfirmedAcks unconfirmedAcks;
  private HostAndPort confirmedPrimary;
  private boolean open;
  private long closedAtNanos = System.nanoTime();

  /**
   * @param onPrimaryDoubt asks discovery and ROLE again, now
   * @param resumePrimaries gives every primary connection of the loop its held commands
   */
  WriteGate(
      LoopTopology topology,
      UnconfirmedAcks unconfirmedAcks,
      Runnable onPrimaryDoubt,
      Runnable resumePrimaries) {
    this.topology = topology;
    this.unconfirmedAcks = unconfirmedAcks;
    this.onPrimaryDoubt = onPrimaryDoubt;
    this.resumePrimaries = resumePrimaries;
  }

  boolean open() {
    return open;
  }

  /** What the replication monitor's ROLE poll says about the named primary. */
  public void onPrimaryRole(HostAndPort node, boolean master) {
    if (master) {
      confirmedPrimary = node;
    } else if (node.equals(confirmedPrimary)) {
      confirmedPrimary = null;
    }
    update();
  }

  /**
   * A write came back READONLY from {@code node}: it is no primary any more, whatever the last
   * topology says. Writes wait until discovery and ROLE agree on one again.
   */
  public void doubtPrimary(HostAndPort node) {
    if (node.equals(confirmedPrimary)) {
      log.warn(
          "{} answered READONLY: it is no longer a primary; writes wait for the new one", node);
      confirmedPrimary = null;
      update();
      onPrimaryDoubt.run();
    }
  }

  /** Something about the primary changed (a connection to it failed): ask again now. */
  void askAgain() {
    onPrimaryDoubt.run();
  }

  /**
   * A write the primary answered while the gate was closed: it was sent before a failover began and
   * may not survive it.
   */
  void holdAck(PendingCommand command, ByteBuf reply, HostAndPort node) {
    unconfirmedAcks.hold(command, reply, node);
  }

  /** Opens or closes the gate for the current topology and confirmation. */
  public void update() {
    Topology now = topology.current();
    boolean shouldOpen =
        now.hasPrimary() && !now.failoverUnderway() && now.primary().equals(confirmedPrimary);
    if (shouldOpen == open) {
      return;
    }
    open = shouldOpen;
    if (!open) {
      closedAtNanos = System.nanoTime();
      return;
    }
    unconfirmedAcks.check();
    log.debug(
        "Writes to {} resume after {} ms",
        now.primary(),
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
