package io.switchboard.proxy.session;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.routing.CommandSpec;

/**
 * Replies a client must not see, turned into a retry: a write that reached a demoted primary
 * (READONLY), a read whose replica died with it in flight or is stuck, an EVALSHA that met
 * NOSCRIPT. Each command is still one outstanding command, answered once.
 */
final class ReplyRecovery {

  private static final byte[] READONLY = "-READONLY".getBytes(UTF_8);

  private final ClientSession session;
  private final SessionLoop loop;
  private final ClusterRedirects redirects;

  ReplyRecovery(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
    this.redirects = new ClusterRedirects(session, loop);
  }

  /** Whether the command was sent again instead of answered with its reply. */
  boolean retried(PendingCommand command) {
    if (!command.hasRetryCopy()) {
      return false;
    }
    if (command.reply.getByte(command.reply.readerIndex()) == '-' && redirects.follow(command)) {
      return true;
    }
    if (command.spec.has(CommandSpec.SCRIPT_SHA) && session.scripts().retry(command)) {
      return true;
    }
    if (command.hasRetryCopy()
        && command.route == PendingCommand.TO_PRIMARY
        && startsWith(command.reply, READONLY)) {
      holdWriteAgain(command);
      return true;
    }
    return command.hasRetryCopy()
        && command.lost == PendingCommand.LOST_IN_FLIGHT
        && command.route == PendingCommand.TO_READ
        && retryLostRead(command);
  }

  static boolean startsWith(ByteBuf reply, byte[] prefix) {
    if (reply.readableBytes() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (reply.getByte(reply.readerIndex() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * A write reached a primary that has been demoted (READONLY): it did not run. The client never
   * sees that error; the write waits, with the session's later commands, for the new primary.
   */
  private void holdWriteAgain(PendingCommand command) {
    command.reply.release();
    command.reply = null;
    BackendConnection answered = command.sentTo;
    loop.backend().gate().doubtPrimary(answered.pool().node());
    command.request = command.retryRequest();
    answered.holdAgain(command);
  }

  /**
   * A replica died with a read in flight. Unlike a write, a read is safe to run again: it runs on
   * the primary, and the client never sees the replica go.
   */
  private boolean retryLostRead(PendingCommand command) {
    BackendConnection primary = session.targets().primary(command);
    if (primary == null) {
      return false;
    }
    command.reply.release();
    command.reply = null;
    command.lost = 0;
    resend(command, primary);
    return true;
  }

  /**
   * A read has waited on a replica past {@code routing.outlier-latency}: run it on the primary
   * instead. Whichever node answers first answers the client; the other reply is dropped. The
   * session's later reads on that replica are stuck too and are retried in order after it.
   */
  void retryStuckRead(PendingCommand command) {
    if (command.isDone() || command.discarded || session.isClosed() || !command.hasRetryCopy()) {
      return;
    }
    BackendConnection primary = session.targets().primary(command);
    if (primary != null) {
      resend(command, primary);
    }
  }

  /**
   * Sends an outstanding command again, from its kept copy, on {@code to}. The copy stays: the node
   * it goes to may answer MOVED (its shard's slots changed meanwhile), to be followed again.
   */
  private void resend(PendingCommand command, BackendConnection to) {
    command.request = command.retryRequest();
    session.replies().sendAgain(command, to);
  }
}
