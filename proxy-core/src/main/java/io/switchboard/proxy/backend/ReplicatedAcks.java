package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.FailoverConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.Replies;
import java.util.ArrayDeque;

/**
 * {@code failover.write-ack = replicated} on one shared primary connection: the writes of a batch
 * are followed by one {@code WAIT ack-replicas ack-timeout}, and their replies are held until it
 * answers. WAIT counts replicas that have everything this connection wrote before it, so one per
 * batch covers all of the batch's writes. Enough replicas: the replies go out. Too few, or the
 * connection lost first: each write gets an error saying it ran on the primary but is not known to
 * be replicated, so a crash of the primary loses no write the client was told succeeded.
 *
 * <p>The cost is latency: the connection's later commands wait behind WAIT for a replication round
 * trip. Exclusive connections (transactions, blocking commands) are not covered: WAIT inside MULTI
 * would be queued, not run.
 */
final class ReplicatedAcks {

  private record Held(PendingCommand command, ByteBuf reply) {}

  private final BackendConnection connection;
  private final BackendLoop loop;
  private final int replicas;
  private final long timeoutMillis;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private int writesSinceWait;

  ReplicatedAcks(BackendConnection connection, BackendLoop loop, FailoverConfig failover) {
    this.connection = connection;
    this.loop = loop;
    this.replicas = failover.ackReplicas();
    this.timeoutMillis = failover.ackTimeout().toMillis();
  }

  /** A write was written to the connection: a WAIT must follow it before the flush. */
  void written(PendingCommand command) {
    command.rare().awaitsReplication = true;
    writesSinceWait++;
  }

  /** Sends one WAIT behind the writes written since the last one. */
  void beforeFlush() {
    if (writesSinceWait == 0) {
      return;
    }
    writesSinceWait = 0;
    connection.sendInternal(
        Replies.command(
            loop.alloc(), "WAIT", Integer.toString(replicas), Long.toString(timeoutMillis)),
        this::onWait);
  }

  /** Holds a write's successful reply until the next WAIT answers; false to deliver it now. */
  boolean hold(PendingCommand command, ByteBuf reply) {
    if (!command.awaitsReplication()) {
      return false;
    }
    command.rare().awaitsReplication = false;
    byte type = reply.getByte(reply.readerIndex());
    if (type == '-' || type == '!') {
      return false; // refused: nothing to replicate
    }
    held.add(new Held(command, reply));
    return true;
  }

  /** WAIT answered: every reply held now came before it on the connection. */
  private void onWait(ByteBuf reply) {
    String error;
    try {
      byte type = reply.getByte(reply.readerIndex());
      long confirmed = type == ':' ? Long.parseLong(Replies.line(reply)) : -1;
      if (confirmed >= replicas) {
        error = null;
      } else if (confirmed >= 0) {
        error =
            "NOREPLICAS Switchboard: the write ran on the primary, but only "
                + confirmed
                + " of "
                + replicas
                + " replicas confirmed it within "
                + timeoutMillis
                + " ms (failover.write-ack = replicated)";
      } else {
        error =
            "ERR Switchboard: the write ran on the primary, but its replication could not be"
                + " confirmed ("
                + Replies.line(reply)
                + "); it may be lost in a failover";
      }
    } finally {
      reply.release();
    }
    Held ack;
    while ((ack = held.poll()) != null) {
      if (error == null) {
        connection.deliver(ack.command(), ack.reply());
      } else {
        ack.reply().release();
        loop.metrics().error(ProxyMetrics.ErrorKind.UNCONFIRMED_WRITE);
        ack.command().complete(Replies.error(loop.alloc(), error));
      }
    }
  }
}
