package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.backend.SubscriptionSink;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.ReadFloor;
import io.switchboard.routing.ReadPolicy;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's subscriptions: channels, patterns and shard channels, carried by an exclusive backend
 * connection of their own. It goes to the primary, where PUBLISH runs, so PUBLISH and PUBSUB count
 * the session's subscriptions as one Redis would; a listener with {@code replica-subscriptions}
 * sends it to a replica when the session's reads may go there (replicas deliver what the primary
 * publishes, but the primary does not count them).
 *
 * <p>Every frame on that connection is either a confirmation (one per channel named, or one for a
 * bare UNSUBSCRIBE) that answers the oldest subscribe-family command, or a published message that
 * goes straight into the session's reply stream. The sets are kept as the commands are sent, which
 * is the order the server applies them in, so a bare UNSUBSCRIBE knows how many confirmations to
 * expect.
 */
final class Subscription implements SubscriptionSink {

  private static final Logger log = LoggerFactory.getLogger(Subscription.class);

  private final ClientSession session;
  private final SessionLoop loop;
  private final Set<String> channels = new HashSet<>();
  private final Set<String> patterns = new HashSet<>();
  private final Set<String> shardChannels = new HashSet<>();
  private final ArrayDeque<PendingCommand> awaiting = new ArrayDeque<>();

  /** What each awaiting command changed in the sets, to undo if the server refuses it. */
  private final ArrayDeque<Change> changes = new ArrayDeque<>();

  private record Change(Set<String> set, List<String> added, List<String> removed) {
    void undo() {
      set.removeAll(added);
      set.addAll(removed);
    }
  }

  private final ArgCursor frameKind = new ArgCursor();
  private BackendConnection connection;

  /**
   * Cluster mode: the slot of the session's shard channels, whose shard the connection is on
   * (SSUBSCRIBE must reach the slot's owner; SUBSCRIBE and PSUBSCRIBE hear every node's PUBLISH
   * over the cluster bus, so they may share it); -1 while none.
   */
  private int shardSlot = -1;

  /** How long shard channels whose slot left their node wait for the new owner to be known. */
  private static final long REHOME_MS = 10_000;

  /** The server's notices of shard channels unsubscribed by a slot move, held while re-homing. */
  private final List<ByteBuf> movedNotices = new ArrayList<>();

  private long rehomeDeadlineNanos;

  private boolean resetting;

  /** Confirmations of a resubscription still to arrive, dropped rather than shown. */
  private int swallow;

  Subscription(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  int channelCount() {
    return channels.size();
  }

  int patternCount() {
    return patterns.size();
  }

  int shardChannelCount() {
    return shardChannels.size();
  }

  /** Whether the session is in subscriber mode (as Redis counts it, once sent commands ran). */
  boolean active() {
    return !channels.isEmpty() || !patterns.isEmpty() || !shardChannels.isEmpty();
  }

  void command(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    String name = spec.name();
    if (!spec.arityAccepts(args.count())) {
      refuse(
          frame,
          "ERR wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command");
      return;
    }
    boolean subscribe = !name.contains("UNSUBSCRIBE");
    if (name.equals("SSUBSCRIBE") && loop.clusterMode() && !shardChannelsMayGo(frame, spec)) {
      return;
    }
    Set<String> set = setFor(name);
    if (!subscribe && (connection == null || !active())) {
      // Not subscribed: Redis confirms each name (or one nil) with a count of 0.
      ByteBuf reply = notSubscribedReply(name, args);
      frame.release();
      session.replies().enqueue(PendingCommand.answered(session, reply));
      return;
    }
    if (connection == null && !connect()) {
      refuse(
          frame,
          loop.backend().topology().current().hasPrimary()
              ? "ERR Switchboard: all "
                  + loop.backend().config().limits().maxExclusiveConnections()
                  + " exclusive backend connections are held; raise"
                  + " limits.max-exclusive-connections"
              : "ERR Switchboard has no primary to send this to: "
                  + loop.backend().topology().current().problem());
      return;
    }
    int expected;
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    if (args.count() == 1) {
      expected = Math.max(1, set.size());
      removed.addAll(set);
      set.clear();
    } else {
      expected = args.count() - 1;
      while (args.advance()) {
        String channel = key(args);
        if (subscribe ? set.add(channel) : set.remove(channel)) {
          (subscribe ? added : removed).add(channel);
        }
      }
    }
    PendingCommand command = session.dispatcher().forwardPinned(spec, frame, connection);
    if (!command.isDone()) {
      command.rare().expectedFrames = expected;
      awaiting.add(command);
      changes.add(new Change(set, added, removed));
    }
  }

  /**
   * Cluster mode: SSUBSCRIBE's channels go to their slot's shard. The session's subscriptions share
   * one connection, so its shard channels must all be on one shard: the first SSUBSCRIBE picks it
   * (moving a connection that only carries channels and patterns there), a later one elsewhere is
   * refused.
   */
  private boolean shardChannelsMayGo(ByteBuf frame, CommandSpec spec) {
    int slot = session.targets().slotOf(spec, frame);
    if (slot < 0) {
      return true; // the cluster handling refused cross-slot ones before
    }
    Topology topology = loop.backend().topology().current();
    Shard wanted = topology.shardFor(slot);
    Shard current = shardSlot < 0 ? null : topology.shardFor(shardSlot);
    if (!shardChannels.isEmpty() && current != null && current != wanted) {
      refuse(
          frame,
          "ERR Switchboard carries a client's shard channels over one connection, to one shard;"
              + " SSUBSCRIBE to channels of another shard from another client connection");
      return false;
    }
    shardSlot = slot;
    if (connection != null
        && wanted != null
        && !connection.pool().node().equals(wanted.primary())
        && shardChannels.isEmpty()
        && !moveConnection()) {
      refuse(frame, "ERR Switchboard could not move this client's subscriptions to the shard");
      return false;
    }
    return true;
  }

  /**
   * A connection to the shard channels' shard replaces the current one, which carries channels and
   * patterns only: they are subscribed again there (the confirmations swallowed).
   */
  private boolean moveConnection() {
    return moveConnection(false);
  }

  /**
   * As {@link #moveConnection()}; with {@code shardChannelsToo}, the shard channels are subscribed
   * again on the new shard as well (their slot moved there).
   */
  private boolean moveConnection(boolean shardChannelsToo) {
    if (!awaiting.isEmpty()) {
      return false;
    }
    BackendConnection old = connection;
    connection = null;
    loop.leases().release(old); // a subscription connection is never reused: it closes
    swallow = 0;
    if (!connect()) {
      channels.clear();
      patterns.clear();
      return false;
    }
    resubscribe("SUBSCRIBE", channels);
    resubscribe("PSUBSCRIBE", patterns);
    if (shardChannelsToo) {
      resubscribe("SSUBSCRIBE", shardChannels);
    }
    loop.backend().flushes().flushAll();
    return true;
  }

  /**
   * Cluster mode: the server unsubscribed a shard channel by itself, because its slot left that
   * node (a resharding). The client is not told: once the proxy's slot map names the new owner, the
   * connection moves there and the shard channels are subscribed again. Only if that does not
   * happen within {@link #REHOME_MS} (or the channels now span shards) does the client get the
   * server's notice, and, as with Redis Cluster, subscribes again itself.
   */
  private void shardChannelMoved(ByteBuf notice) {
    movedNotices.add(notice);
    if (rehomeDeadlineNanos != 0) {
      return; // a check is already scheduled
    }
    rehomeDeadlineNanos = System.nanoTime() + REHOME_MS * 1_000_000;
    loop.backend().gate().askAgain(); // discovery looks at once
    loop.backend().schedule(this::rehome, 50);
  }

  private void rehome() {
    if (connection == null || session.isClosed()) {
      dropMovedNotices();
      return;
    }
    Topology topology = loop.backend().topology().current();
    Shard target = null;
    boolean oneShard = true;
    for (String channel : shardChannels) {
      Shard shard = topology.shardFor(KeySlot.of(channel.getBytes(StandardCharsets.ISO_8859_1)));
      oneShard &= shard != null && (target == null || target == shard);
      target = shard;
    }
    if (oneShard
        && target != null
        && target.hasPrimary()
        && !connection.pool().node().equals(target.primary())) {
      shardSlot = target.lowestSlot();
      if (moveConnection(true)) {
        log.info(
            "Client {}: shard channels followed their slot to {}",
            session.channel().remoteAddress(),
            connection.pool().node());
        dropMovedNotices();
        return;
      }
    }
    if (System.nanoTime() - rehomeDeadlineNanos > 0 || !oneShard) {
      // The client hears what the server said, as from Redis Cluster itself.
      for (ByteBuf notice : movedNotices) {
        frameKind.reset(notice).seek(1);
        shardChannels.remove(key(frameKind));
        session.replies().enqueue(PendingCommand.answered(session, notice));
      }
      movedNotices.clear();
      rehomeDeadlineNanos = 0;
      loop.backend().flushes().flushAll();
      return;
    }
    loop.backend().schedule(this::rehome, 100);
  }

  private void dropMovedNotices() {
    movedNotices.forEach(ByteBuf::release);
    movedNotices.clear();
    rehomeDeadlineNanos = 0;
  }

  /** A server's own SUNSUBSCRIBE, not the answer to one of the client's. */
  private boolean unsolicitedShardUnsubscribe(ByteBuf frame) {
    if (!loop.clusterMode() || !frameKind.reset(frame).is("SUNSUBSCRIBE")) {
      return false;
    }
    PendingCommand head = awaiting.peek();
    if (head != null && head.spec.name().equals("SUNSUBSCRIBE")) {
      return false;
    }
    frameKind.seek(1);
    return frameKind.length() >= 0 && shardChannels.contains(key(frameKind));
  }

  private void refuse(ByteBuf frame, String error) {
    frame.release();
    session
        .replies()
        .enqueue(PendingCommand.answered(session, Replies.error(loop.backend().alloc(), error)));
  }

  private Set<String> setFor(String name) {
    return switch (name) {
      case "PSUBSCRIBE", "PUNSUBSCRIBE" -> patterns;
      case "SSUBSCRIBE", "SUNSUBSCRIBE" -> shardChannels;
      default -> channels;
    };
  }

  /** Channel names are bytes; ISO-8859-1 keeps every byte distinct in a String. */
  private static String key(ArgCursor args) {
    return new String(args.bytes(), StandardCharsets.ISO_8859_1);
  }

  private boolean connect() {
    if (!loop.backend().topology().current().hasPrimary()) {
      return false;
    }
    HostAndPort node = null;
    ReadPolicy policy = session.targets().policy();
    if (session.listener().replicaSubscriptions() && policy.readsReplicas()) {
      int protocol = session.protocol;
      node =
          loop.chooser()
              .pick(
                  loop.backend().topology().current().only(),
                  loop.backend().replication(),
                  policy,
                  ReadFloor.NONE,
                  System.nanoTime(),
                  n -> loop.pools().load(n, 0, protocol, false));
    }
    if (node == null) {
      Topology topology = loop.backend().topology().current();
      Shard shard = shardSlot < 0 ? null : topology.shardFor(shardSlot);
      node = shard == null ? topology.primary() : shard.primary();
      if (node == null) {
        return false;
      }
    }
    connection = loop.leases().acquire(node, 0, session.protocol, session.login);
    if (connection == null) {
      return false;
    }
    connection.sink = this;
    return true;
  }

  @Override
  public void onFrame(BackendConnection from, ByteBuf frame) {
    if (from != connection) {
      frame.release();
      return;
    }
    byte type = frame.getByte(frame.readerIndex());
    if (swallow > 0 && !isMessage(frame)) {
      swallow--; // a confirmation of the proxy's own resubscription
      if (type == '-' || type == '!') {
        log.warn("Resubscribing refused: {}", frame.toString(StandardCharsets.UTF_8).trim());
      }
      frame.release();
      return;
    }
    if (type == '-' || type == '!') {
      // The server refused the command as a whole (ACL, for example): one error, no frames, and
      // the session is subscribed to what it was before.
      PendingCommand head = awaiting.poll();
      if (head != null) {
        changes.poll().undo();
        head.complete(frame);
        if (!active() && awaiting.isEmpty()) {
          releaseConnection();
        }
      } else {
        frame.release();
      }
      return;
    }
    if (unsolicitedShardUnsubscribe(frame)) {
      shardChannelMoved(frame);
      return;
    }
    if (isMessage(frame) || awaiting.isEmpty()) {
      session.replies().enqueue(PendingCommand.answered(session, frame));
      return;
    }
    PendingCommand head = awaiting.peek();
    if (head.partial() == null) {
      head.rare().partial =
          loop.backend().alloc().compositeBuffer(Math.max(2, head.expectedFrames()));
    }
    head.partial().addComponent(true, frame);
    if (--head.rare().expectedFrames == 0) {
      awaiting.poll();
      changes.poll();
      ByteBuf reply = head.partial();
      head.rare().partial = null;
      head.complete(reply);
      if (!active() && awaiting.isEmpty()) {
        releaseConnection();
      }
    }
  }

  /** Published messages, as opposed to confirmations: message, pmessage, smessage. */
  private boolean isMessage(ByteBuf frame) {
    ArgCursor first = frameKind.reset(frame);
    return first.is("MESSAGE") || first.is("PMESSAGE") || first.is("SMESSAGE");
  }

  /**
   * The server connection carrying the subscriptions is gone (its node died or left the topology):
   * the same channels, patterns and shard channels are subscribed again on another node, and the
   * client connection stays open. Messages published in between are lost, as on any reconnect.
   * Commands still awaiting confirmation get an error. Only when no connection can be had is the
   * client closed, so its library resubscribes rather than silently hearing nothing.
   */
  @Override
  public void onLost(BackendConnection from, String reason) {
    if (from != connection) {
      return;
    }
    failAwaiting("ERR Switchboard lost the subscription connection (" + reason + ")");
    loop.leases().release(connection);
    connection = null;
    swallow = 0;
    if (resetting || !active()) {
      return;
    }
    if (!connect()) {
      channels.clear();
      patterns.clear();
      shardChannels.clear();
      session.channel().close();
      return;
    }
    log.info(
        "Client {}: subscriptions moved to {} ({})",
        session.channel().remoteAddress(),
        connection.pool().node(),
        reason);
    resubscribe("SUBSCRIBE", channels);
    resubscribe("PSUBSCRIBE", patterns);
    resubscribe("SSUBSCRIBE", shardChannels);
    loop.backend().flushes().flushAll();
  }

  private void resubscribe(String command, Set<String> names) {
    if (names.isEmpty()) {
      return;
    }
    ByteBuf request = loop.backend().alloc().buffer(64 + 32 * names.size());
    Replies.writeHeader(request, '*', names.size() + 1);
    Replies.writeBulk(request, command);
    for (String name : names) {
      Replies.writeBulk(request, name.getBytes(StandardCharsets.ISO_8859_1));
    }
    swallow += names.size(); // one confirmation per name, which the client must not see again
    connection.sendInternal(request, ByteBuf::release);
  }

  private void failAwaiting(String error) {
    changes.clear();
    PendingCommand command;
    while ((command = awaiting.poll()) != null) {
      if (command.partial() != null) {
        command.partial().release();
        command.rare().partial = null;
      }
      command.complete(Replies.error(loop.backend().alloc(), error));
    }
  }

  private void releaseConnection() {
    BackendConnection done = connection;
    connection = null;
    done.sink = null;
    done.tainted = true;
    loop.leases().release(done);
  }

  /** RESET: the server connection goes, without closing the client. */
  void reset() {
    if (connection != null) {
      resetting = true;
      BackendConnection done = connection;
      connection = null;
      failAwaiting("ERR subscription reset");
      channels.clear();
      patterns.clear();
      shardChannels.clear();
      done.close();
      loop.leases().release(done);
      resetting = false;
    }
    dropMovedNotices();
    shardSlot = -1;
  }

  /** The client is gone. */
  void close() {
    reset();
  }

  /** PING in RESP2 subscriber mode answers ["pong", argument or ""], as Redis does. */
  ByteBuf pingReply(ArgCursor args) {
    byte[] message = args.count() > 1 ? args.seek(1).bytes() : new byte[0];
    ByteBuf buf = loop.backend().alloc().buffer(32 + message.length);
    Replies.writeHeader(buf, '*', 2);
    Replies.writeBulk(buf, "pong");
    Replies.writeBulk(buf, message);
    return buf;
  }

  private ByteBuf notSubscribedReply(String name, ArgCursor args) {
    String kind = name.toLowerCase(Locale.ROOT);
    int protocol = session.protocol;
    ByteBuf buf = loop.backend().alloc().buffer(64);
    if (args.count() == 1) {
      Replies.writeHeader(buf, protocol == 3 ? '>' : '*', 3);
      Replies.writeBulk(buf, kind);
      buf.writeBytes(Replies.nil(protocol));
      Replies.writeHeader(buf, ':', 0);
      return buf;
    }
    while (args.advance()) {
      Replies.writeHeader(buf, protocol == 3 ? '>' : '*', 3);
      Replies.writeBulk(buf, kind);
      Replies.writeBulk(buf, args.bytes());
      Replies.writeHeader(buf, ':', 0);
    }
    return buf;
  }
}
