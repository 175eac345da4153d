package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Acknowledgements of writes that the primary answered while a failover was under way (they were
 * sent before it began: the primary was frozen, or slow). Such a write survives only if the replica
 * Sentinel promotes has it, so its reply is held until one of these is known:
 *
 * <ul>
 *   <li>every replica has applied it (a ROLE poll of the primary asked after the reply gives an
 *       offset at or past the write; the replicas' offsets reach it): the client gets the reply;
 *   <li>the gate reopens on the same primary (the failover was aborted): the client gets the reply;
 *   <li>Sentinel replaced the primary with a replica that had applied it before: the client gets
 *       the reply (the write is in the new primary's data). Without this, one replica that lagged
 *       (a full resync under heavy load) turned acknowledgements into errors although Sentinel had
 *       promoted the other, up to date;
 *   <li>Sentinel replaced the primary with a replica not known to have it, or {@code
 *       failover.hold-timeout} passed: the client gets an error saying the write may be lost,
 *       instead of an acknowledgement that may lie.
 * </ul>
 *
 * <p>In a planned failover the replicas catch up within milliseconds, so this costs a short delay;
 * it never applies while the gate is open. One per event loop, touched only on it.
 */
final class UnconfirmedAcks {

  private static final class Held {
    final PendingCommand command;
    final ByteBuf reply;
    final HostAndPort node;
    final long answeredAtNanos = System.nanoTime();
    long offsetNeeded = -1;

    /** Replicas of {@link #node} seen at or past {@link #offsetNeeded}: they hold the write. */
    final Set<HostAndPort> heldBy = new HashSet<>(2);

    Held(PendingCommand command, ByteBuf reply, HostAndPort node) {
      this.command = command;
      this.reply = reply;
      this.node = node;
    }
  }

  private final BackendLoop loop;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private ScheduledFuture<?> task;

  UnconfirmedAcks(BackendLoop loop) {
    this.loop = loop;
  }

  void hold(PendingCommand command, ByteBuf reply, HostAndPort node) {
    held.add(new Held(command, reply, node));
    if (task == null) {
      long every = Math.max(1, loop.config().routing().offsetPollInterval().toMillis());
      task =
          loop.eventLoop()
              .scheduleAtFixedRate(
                  () -> {
                    check();
                    loop.flushes().flushAll();
                  },
                  every,
                  every,
                  TimeUnit.MILLISECONDS);
    }
  }

  /** Settles what can be settled now; called on a timer, and when the topology or gate changes. */
  void check() {
    if (held.isEmpty()) {
      return;
    }
    Topology topology = loop.topology().current();
    ReplicationSnapshot replication = loop.replication();
    long now = System.nanoTime();
    long holdNanos = loop.config().failover().holdTimeout().toNanos();
    for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      Held ack = it.next();
      ReplicationSnapshot.PrimaryOffset known =
          ack.offsetNeeded < 0 ? replication.primary(ack.node) : null;
      if (known != null && known.askedAtNanos() - ack.answeredAtNanos > 0) {
        ack.offsetNeeded = known.offset();
      }
      String loss = null;
      if (!topology.serves(ack.node, true)) {
        if (!promotedOneThatHeldIt(ack, topology)) {
          loss = "answered this write only after Sentinel had replaced it as primary";
        }
      } else if (now - ack.answeredAtNanos > holdNanos) {
        loss = "answered this write during a failover, and no replica confirmed it in time";
      } else if (!loop.gate().open(ack.node) && !replicated(ack, topology, replication)) {
        continue;
      }
      it.remove();
      if (loss == null) {
        ack.command.complete(ack.reply);
      } else {
        ack.reply.release();
        ack.command.lost = PendingCommand.LOST_IN_FLIGHT;
        loop.metrics().error(ProxyMetrics.ErrorKind.UNCONFIRMED_WRITE);
        ack.command.complete(
            Replies.error(
                loop.alloc(),
                "ERR Switchboard: " + ack.node + " " + loss + "; the write may be lost with it"));
      }
    }
    if (held.isEmpty() && task != null) {
      task.cancel(false);
      task = null;
    }
  }

  /** Shutdown: the held replies are dropped (their clients are being disconnected). */
  void releaseAll() {
    for (Held ack : held) {
      ack.reply.release();
    }
    held.clear();
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  /**
   * Whether every replica of the write's primary has applied it; notes each one that has, for
   * {@link #promotedOneThatHeldIt} once the primary is replaced.
   */
  private static boolean replicated(Held ack, Topology topology, ReplicationSnapshot replication) {
    if (ack.offsetNeeded < 0) {
      return false;
    }
    Shard shard = topology.shardOf(ack.node);
    boolean all = true;
    for (var node : shard == null ? java.util.List.<HostAndPort>of() : shard.replicas()) {
      ReplicaState state = replication.replica(node);
      if (state != null && state.offset() >= ack.offsetNeeded) {
        ack.heldBy.add(node);
      } else {
        all = false;
      }
    }
    return all;
  }

  /**
   * Whether a node now named primary had applied the write while it replicated the old primary: its
   * data, which it keeps when promoted, holds the write.
   */
  private static boolean promotedOneThatHeldIt(Held ack, Topology topology) {
    for (HostAndPort node : ack.heldBy) {
      if (topology.serves(node, true)) {
        return true;
      }
    }
    return false;
  }
}
