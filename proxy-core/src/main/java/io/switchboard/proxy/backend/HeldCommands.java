package io.switchboard.proxy.backend;

import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.Shard;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Commands one backend connection holds unsent: while it has no ready channel, or, on a primary,
 * while the write gate is closed (a failover). Never sent, so safe to send later or elsewhere.
 * Bounded three ways: {@code limits.max-held-per-pool} commands per connection, {@code
 * failover.hold-bytes} request bytes proxy-wide for the primary, and time ({@code
 * failover.hold-timeout} for the primary, {@code redis.reconnect-wait} for a replica), after which
 * a command gets TRYAGAIN or an error naming what it waited for.
 */
final class HeldCommands {

  private final BackendLoop loop;
  private final BackendConnection connection;
  private final ArrayDeque<PendingCommand> unsent = new ArrayDeque<>();
  private ScheduledFuture<?> expiry;

  HeldCommands(BackendLoop loop, BackendConnection connection) {
    this.loop = loop;
    this.connection = connection;
  }

  boolean isEmpty() {
    return unsent.isEmpty();
  }

  int size() {
    return unsent.size();
  }

  private boolean primary() {
    return connection.pool().primary();
  }

  /** How long the oldest command here has waited, in ns; 0 if none. */
  long oldestWaitNanos(long now) {
    return unsent.isEmpty() ? 0 : now - unsent.peek().heldSinceNanos;
  }

  /** Holds the command, or answers it with an error when a bound refuses it. */
  void hold(PendingCommand command) {
    if (primary() && command.session != null && command.request != null) {
      int bytes = command.request.readableBytes();
      if (!loop.holdBudget().tryAcquire(bytes)) {
        loop.metrics().error(ProxyMetrics.ErrorKind.TRYAGAIN);
        command.complete(
            Replies.error(
                loop.alloc(),
                "TRYAGAIN Switchboard holds "
                    + loop.config().failover().holdBytes()
                    + " bytes of commands for the primary already (failover.hold-bytes); "
                    + waitReason()
                    + "; the command was not sent"));
        return;
      }
      command.rare().heldBytes = bytes;
    }
    if (unsent.size() >= loop.config().limits().maxHeldPerPool()) {
      releaseBytes(command);
      command.complete(
          Replies.error(
              loop.alloc(),
              "ERR Switchboard: too many commands waiting for "
                  + connection.pool().describe()
                  + " ("
                  + connection.lastError()
                  + ")"));
      return;
    }
    command.heldSinceNanos = System.nanoTime();
    unsent.add(command);
    scheduleExpiry();
  }

  /**
   * Holds a write that came back READONLY (it did not run) ahead of the commands that were never
   * sent, since it came before them, and behind others held again.
   */
  void holdAgain(PendingCommand command) {
    ArrayDeque<PendingCommand> neverSent = new ArrayDeque<>();
    while (!unsent.isEmpty() && !unsent.peekLast().requeued()) {
      neverSent.addFirst(unsent.pollLast());
    }
    hold(command);
    if (!command.isDone()) {
      command.rare().requeued = true;
    } // else refused by a bound: answered with an error
    unsent.addAll(neverSent);
  }

  /** The oldest command, no longer counted against the hold budget; null if none. */
  PendingCommand take() {
    PendingCommand command = unsent.poll();
    if (command != null) {
      releaseBytes(command);
    }
    return command;
  }

  /** Hands every command to {@code write}, oldest first; the wait is over. */
  void drainTo(Consumer<PendingCommand> write) {
    while (!unsent.isEmpty()) {
      write.accept(take());
    }
    cancelExpiry();
  }

  /** Hands the proxy's own commands (a handshake, a probe) to {@code write}; sessions' wait. */
  void drainOwnTo(Consumer<PendingCommand> write) {
    for (Iterator<PendingCommand> it = unsent.iterator(); it.hasNext(); ) {
      PendingCommand command = it.next();
      if (command.session == null) {
        it.remove();
        write.accept(command);
      }
    }
  }

  /**
   * Gives back what waited longer than {@code limitNanos} (a handshake that does not finish):
   * sessions route their commands again.
   */
  void rerouteOlderThan(long now, long limitNanos) {
    while (!unsent.isEmpty() && now - unsent.peek().heldSinceNanos > limitNanos) {
      PendingCommand command = take();
      if (command.session == null) {
        command.complete(
            Replies.error(loop.alloc(), "ERR " + connection.pool().describe() + " is stuck"));
      } else {
        command.session.redispatch(command);
      }
    }
  }

  /** The node left: sessions route their commands again; the proxy's own get an error. */
  void redispatchAll() {
    PendingCommand command;
    while ((command = take()) != null) {
      if (command.session == null) {
        command.complete(
            Replies.error(loop.alloc(), "ERR " + connection.pool().describe() + " retired"));
      } else {
        command.session.redispatch(command);
      }
    }
  }

  /** The connection is gone for good: each command learns it never left the proxy. */
  void failAll(String error) {
    cancelExpiry();
    PendingCommand command;
    while ((command = take()) != null) {
      command.lost = PendingCommand.LOST_UNSENT;
      command.complete(Replies.error(loop.alloc(), error));
    }
  }

  void cancelExpiry() {
    if (expiry != null) {
      expiry.cancel(false);
      expiry = null;
    }
  }

  /** Why commands for this connection's node wait, for errors. */
  private String waitReason() {
    if (primary() && !connection.pool().writable()) {
      Shard shard = loop.topology().current().shardOf(connection.pool().node());
      if (shard == null) {
        return "a failover is in progress: " + connection.pool().node() + " left the cluster";
      }
      return "a failover is in progress: "
          + (shard.failoverUnderway()
              ? "Sentinel is replacing the primary " + shard.primary()
              : "no primary confirmed by ROLE (last named: " + shard.primary() + ")")
          + " of master '"
          + shard.name()
          + "'";
    }
    return "cannot reach " + connection.pool().describe() + " (" + connection.lastError() + ")";
  }

  private void releaseBytes(PendingCommand command) {
    if (command.heldBytes() > 0) {
      loop.holdBudget().release(command.heldBytes());
      command.rare().heldBytes = 0;
    }
  }

  private void scheduleExpiry() {
    if (expiry != null || unsent.isEmpty()) {
      return;
    }
    long delay = unsent.peek().heldSinceNanos + waitBoundNanos() - System.nanoTime();
    expiry = loop.schedule(this::expire, TimeUnit.NANOSECONDS.toMillis(Math.max(0, delay)) + 1);
  }

  /** How long a command may wait: the failover hold for the primary, else reconnect-wait. */
  private long waitBoundNanos() {
    return (primary()
            ? loop.config().failover().holdTimeout()
            : loop.config().redis().reconnectWait())
        .toNanos();
  }

  private void expire() {
    expiry = null;
    long waitNanos = waitBoundNanos();
    long now = System.nanoTime();
    while (!unsent.isEmpty() && now - unsent.peek().heldSinceNanos >= waitNanos) {
      PendingCommand command = take();
      if (primary()) {
        loop.metrics().error(ProxyMetrics.ErrorKind.TRYAGAIN);
      }
      String error =
          primary()
              ? "TRYAGAIN Switchboard: "
                  + waitReason()
                  + "; the command was not sent (failover.hold-timeout "
                  + TimeUnit.NANOSECONDS.toMillis(waitNanos)
                  + " ms)"
              : "ERR Switchboard cannot reach "
                  + connection.pool().describe()
                  + " ("
                  + connection.lastError()
                  + "); gave up after "
                  + TimeUnit.NANOSECONDS.toMillis(waitNanos)
                  + " ms";
      command.complete(Replies.error(loop.alloc(), error));
    }
    scheduleExpiry();
    loop.flushes().flushAll();
  }
}
