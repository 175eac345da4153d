package io.switchboard.proxy.session;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.Replies;

/**
 * Redis Cluster's redirections, followed instead of forwarded: {@code -MOVED slot host:port} (the
 * slot lives elsewhere now: the command runs there, and discovery is asked to look again) and
 * {@code -ASK slot host:port} (the slot is migrating: {@code ASKING}, then the command, on that
 * node, once). A client never sees either. A command redirected {@link #MAX_REDIRECTS} times in a
 * row gets {@code -TRYAGAIN} instead: the cluster is still moving that slot.
 */
final class ClusterRedirects {

  static final int MAX_REDIRECTS = 5;
  private static final byte[] MOVED = "-MOVED ".getBytes(US_ASCII);
  private static final byte[] ASK = "-ASK ".getBytes(US_ASCII);

  private final ClientSession session;
  private final SessionLoop loop;

  ClusterRedirects(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** Whether the command's reply was a redirection, now followed. Needs the command's copy. */
  boolean follow(PendingCommand command) {
    ByteBuf reply = command.reply;
    boolean moved = ReplyRecovery.startsWith(reply, MOVED);
    if (!moved && !ReplyRecovery.startsWith(reply, ASK)) {
      return false;
    }
    String[] parts = Replies.line(reply).split(" ");
    String slot = parts.length > 1 ? parts[1] : "?";
    if (command.rare().redirects++ >= MAX_REDIRECTS) {
      return answerInstead(
          command,
          "TRYAGAIN Switchboard: the cluster redirected this command "
              + MAX_REDIRECTS
              + " times in a row (slot "
              + slot
              + " is moving); it did not run");
    }
    loop.backend().metrics().redirect(moved);
    HostAndPort to = parts.length > 2 ? target(parts[2]) : null;
    if (moved) {
      loop.backend().gate().askAgain(); // the slot map changed: discovery looks again now
    }
    BackendPool pool = to == null ? null : session.targets().pool(to);
    if (pool == null) {
      return answerInstead(
          command,
          "TRYAGAIN Switchboard: slot "
              + slot
              + " moved to "
              + (parts.length > 2 ? parts[2] : "an unnamed node")
              + ", which cannot be used now; the command did not run");
    }
    BackendConnection connection = pool.pick();
    if (!moved) {
      connection.sendInternal(Replies.command(loop.backend().alloc(), "ASKING"), ByteBuf::release);
    }
    reply.release();
    command.reply = null;
    command.request = command.retryRequest();
    session.replies().sendAgain(command, connection);
    return true;
  }

  /** The node a {@code -MOVED slot host:port} reply names, or null for any other reply. */
  static HostAndPort movedTo(ByteBuf reply) {
    if (!ReplyRecovery.startsWith(reply, MOVED)) {
      return null;
    }
    String[] parts = Replies.line(reply).split(" ");
    return parts.length > 2 ? target(parts[2]) : null;
  }

  /** The node a redirection names: "host:port", the host possibly IPv6 without brackets. */
  private static HostAndPort target(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    try {
      return colon <= 0
          ? null
          : new HostAndPort(
              hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Replaces the redirection with an error of the proxy's: the client never sees MOVED or ASK. */
  private boolean answerInstead(PendingCommand command, String error) {
    command.reply.release();
    command.reply = Replies.error(loop.backend().alloc(), error);
    return false;
  }
}
