package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.Shard;

/**
 * Commands that block their connection (BLPOP, XREAD BLOCK, WAIT): each borrows a connection of its
 * own to the primary of its keys' shard until its reply, so the shared connections keep flowing.
 */
final class BlockingCommands {

  private final ClientSession session;
  private final SessionLoop loop;

  BlockingCommands(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** Borrows a connection for the command and sends it there. */
  void borrowFor(CommandSpec spec, ByteBuf frame) {
    // WAIT has no key: it counts acknowledgements of the session's writes, on their shard.
    Shard shard =
        isWait(spec) ? session.targets().lastWriteShard() : session.targets().shardOf(spec, frame);
    if (!shard.hasPrimary()) {
      session.dispatcher().reject(frame, session.targets().noPrimaryText());
      return;
    }
    BackendConnection borrowed =
        loop.leases().acquire(shard.primary(), session.db, session.protocol, session.login);
    if (borrowed == null) {
      session.dispatcher().reject(frame, exclusiveLimitText());
      return;
    }
    PendingCommand command = new PendingCommand(session, spec, frame, session.readAtNanos);
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = borrowed;
    command.rare().borrowed = borrowed;
    command.rare().markOffsetFirst = isWait(spec);
    // Kept until the reply: if a failover retires the connection before the command left the
    // proxy, it runs on a connection to the new primary instead.
    command.keepRetryCopy();
    session.replies().forward(command);
  }

  /**
   * A blocking command that never left the proxy (held while the primary was replaced) borrows a
   * connection to the new primary and runs there. One lost in flight may have run: its error
   * stands.
   */
  boolean borrowAgain(PendingCommand command) {
    BackendConnection old = command.borrowed();
    release(command);
    if (command.lost != PendingCommand.LOST_UNSENT || !command.hasRetryCopy()) {
      return false;
    }
    Shard shard = session.targets().shardOf(command.spec, command.retryFrame());
    if (!shard.hasPrimary()) {
      return false;
    }
    BackendConnection fresh =
        loop.leases()
            .acquire(shard.primary(), old.pool().db(), old.pool().protocol(), old.pool().login());
    if (fresh == null) {
      return false;
    }
    command.reply.release();
    command.reply = null;
    command.lost = 0;
    command.rare().borrowed = fresh;
    command.request = command.retryRequest();
    session.replies().sendAgain(command, fresh);
    return true;
  }

  /** Gives the command's borrowed connection back. */
  void release(PendingCommand command) {
    BackendConnection borrowed = command.borrowed();
    command.rare().borrowed = null;
    loop.leases().release(borrowed);
  }

  static boolean isWait(CommandSpec spec) {
    return spec.name().equals("WAIT") || spec.name().equals("WAITAOF");
  }

  /**
   * WAIT counts replicas that acknowledged the connection's last write, but this session's writes
   * went over a shared connection. A propagated no-op on the exclusive connection, sent after those
   * writes were answered, moves its write offset past them. SPUBLISH reaches only SSUBSCRIBE
   * clients of this exact channel (no pattern matches shard channels); Redis 6 lacks it and gets
   * PUBLISH.
   */
  void markWriteOffset(BackendConnection target) {
    boolean seven = !loop.backend().facts().version().startsWith("6.");
    target.sendInternal(
        Replies.command(
            loop.backend().alloc(),
            seven ? "SPUBLISH" : "PUBLISH",
            markerChannel(target.pool().node()),
            ""),
        ByteBuf::release);
  }

  /**
   * The no-op's channel: in a cluster one whose slot {@code node}'s shard holds, since SPUBLISH to
   * another shard's slot is refused with MOVED and would move nothing.
   */
  private String markerChannel(HostAndPort node) {
    Shard shard = loop.clusterMode() ? loop.backend().topology().current().shardOf(node) : null;
    return shard == null || shard.slots().isEmpty()
        ? "__switchboard:wait__"
        : "__switchboard:wait__{" + KeySlot.tagFor(shard.lowestSlot()) + "}";
  }

  String exclusiveLimitText() {
    return "ERR Switchboard: all "
        + loop.backend().config().limits().maxExclusiveConnections()
        + " exclusive backend connections are held (transactions, blocking commands,"
        + " subscriptions); raise limits.max-exclusive-connections";
  }
}
