package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.switchboard.config.ClusterConfig;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.Flushable;
import io.switchboard.proxy.backend.JoinedWrites;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Shard;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * A session's replies in request order, and the ordering barrier in front of its backends.
 *
 * <p>Every command gets a place in {@code replies} when it arrives, answered by the proxy or
 * forwarded; replies are written strictly in request order, the completed prefix at a time, and
 * flushed once per event-loop batch.
 *
 * <p>A command whose connection differs from the previous one's waits in {@code parked} until
 * everything the session sent before has been answered, so Redis executes a session's commands in
 * the order the client sent them, even when a read went to a replica and a write to the primary. In
 * front of several shards the order is kept per shard ({@link ShardLanes}), as a cluster client's
 * pipeline keeps it: a keyed command waits only for its own shard's commands on another connection,
 * and keyless or pinned ones still wait for everything before them.
 */
final class ReplyQueue extends Flushable {

  private final ClientSession session;
  private final SessionLoop loop;
  private long maxOutputBytes;
  private final ArrayDeque<PendingCommand> replies = new ArrayDeque<>();
  private final ArrayDeque<PendingCommand> parked = new ArrayDeque<>();

  /** Replies (and pushes) for the client until the batch's flush, adjacent ones joined. */
  private final JoinedWrites out = new JoinedWrites();

  /** The connection every outstanding command went to; null when they went to several. */
  private BackendConnection lastConnection;

  private final ShardLanes lanes = new ShardLanes();

  /** {@code cluster.order = shard}: keyed commands keep their order per shard only. */
  private final boolean orderPerShard;

  /** Outstanding commands in no lane: they were sent only once everything before was answered. */
  private int outsideLanes;

  /** The split command whose part was sent last, or null: its other parts need not wait. */
  private Object lastParts;

  private int outstanding;

  /** A reload's limits.client-output-buffer-bytes, for this client too. */
  void maxOutputBytes(long bytes) {
    maxOutputBytes = bytes;
  }

  ReplyQueue(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
    this.maxOutputBytes = loop.backend().config().limits().clientOutputBufferBytes();
    this.orderPerShard = loop.backend().config().cluster().order() == ClusterConfig.Order.SHARD;
  }

  /** Replies still due, answered or not. */
  int size() {
    return replies.size();
  }

  boolean isEmpty() {
    return replies.isEmpty();
  }

  /** Commands sent to a backend and not yet answered. */
  int outstanding() {
    return outstanding;
  }

  /**
   * The connection a read for {@code shard} may follow its outstanding commands on without waiting,
   * or null when nothing is outstanding.
   */
  BackendConnection busyConnection(Shard shard) {
    if (outstanding == 0) {
      return null;
    }
    BackendConnection lane = lanes.busyConnection(shard);
    return lane != null ? lane : lastConnection;
  }

  /** The connection this session's blocking command waits on now, or null. */
  BackendConnection blockedOn() {
    for (PendingCommand command : replies) {
      if (command.borrowed() != null && !command.isDone()) {
        return command.borrowed();
      }
    }
    return null;
  }

  /** Commands waiting for the ordering barrier, oldest first. */
  void forEachParked(Consumer<PendingCommand> action) {
    parked.forEach(action);
  }

  /** A reply the proxy made (or will make: {@link ClientSession#answerLater}). */
  void enqueue(PendingCommand answered) {
    answered.silent = session.replyMode().silent();
    replies.add(answered);
    if (answered.closeAfter) {
      session.closing();
    }
    writeCompleted();
  }

  /**
   * A push frame for the client (an invalidation). The server sent it after every reply the proxy
   * has received, and before those still due: it goes right after the last reply in hand (written
   * with it), or at once when none waits to be written. So it never waits behind a command still
   * running, such as a blocked pop, and never comes before a reply the server sent earlier. Pushes
   * are written even with CLIENT REPLY OFF, as Redis writes them.
   */
  void push(ByteBuf frame) {
    if (session.isClosed()) {
      frame.release();
      return;
    }
    for (Iterator<PendingCommand> it = replies.descendingIterator(); it.hasNext(); ) {
      PendingCommand command = it.next();
      if (command.isDone()) {
        PendingCommand.Rare rare = command.rare();
        rare.pushesAfter =
            rare.pushesAfter == null ? frame : Unpooled.wrappedBuffer(rare.pushesAfter, frame);
        return;
      }
    }
    write(frame);
    loop.backend().flushes().clientWritten(this);
  }

  private void write(ByteBuf frame) {
    loop.backend().flushes().bytesSent += frame.readableBytes();
    out.write(session.channel(), frame);
  }

  /** A command for a backend: sent now, or parked behind the barrier. */
  void forward(PendingCommand command) {
    command.silent = session.replyMode().silent();
    replies.add(command);
    dispatch(command);
    if (command.isDone()) {
      writeCompleted();
    }
  }

  private void dispatch(PendingCommand command) {
    if (!parked.isEmpty()) {
      parked.add(command);
      return;
    }
    BackendConnection target = session.targets().target(command);
    if (target == null) {
      answerInPlace(command, session.targets().noTarget(command));
      return;
    }
    int lane = laneOf();
    if (!mayGoNow(command, target, lane)) {
      parked.add(command);
    } else {
      send(command, target, lane);
    }
  }

  /** The lane of the command just given a target, or -1 when it keeps the session-wide order. */
  private int laneOf() {
    Shard shard = session.targets().keyedShard();
    if (shard == null
        || !orderPerShard
        || !lanes.followTopology(loop.backend().topology().current(), outstanding)) {
      return -1;
    }
    return lanes.laneOf(shard);
  }

  /**
   * The ordering barrier: a command goes now when nothing is outstanding or every outstanding
   * command went to its connection; a keyed one also when its shard's lane allows it and nothing
   * outside the lanes is outstanding. The parts of one split command go at once, whatever their
   * shards (they are one command to the client); the command after them waits for all of them.
   */
  private boolean mayGoNow(PendingCommand command, BackendConnection target, int lane) {
    return outstanding == 0
        || target == lastConnection
        || (lane >= 0 && outsideLanes == 0 && lanes.mayGo(lane, target))
        || (lastParts != null && command.partOf() == lastParts);
  }

  private void send(PendingCommand command, BackendConnection target, int lane) {
    // Once commands are outstanding on several connections no single one is "the last one":
    // a command outside the lanes then waits until they are all answered.
    lastConnection = outstanding == 0 || target == lastConnection ? target : null;
    lastParts = command.partOf();
    command.inLane = lane >= 0;
    if (lane >= 0) {
      lanes.sent(lane, target);
    } else {
      outsideLanes++;
    }
    outstanding++;
    session.cachedReads().sent(command);
    command.sentTo = target;
    if (command.spec != null && command.spec.has(CommandSpec.SCRIPT_SHA)) {
      session.scripts().prepare(command, target);
    } else if (!command.hasRetryCopy()
        && (command.route == PendingCommand.TO_READ
            ? !target.pool().primary()
            : command.route == PendingCommand.TO_PRIMARY && !command.spec.isRead())) {
      // Kept until the reply: to run a read on the primary if this replica stops answering, or
      // a write again on the real primary if this one answers READONLY (it was demoted).
      command.keepRetryCopy();
    } else if (!command.hasRetryCopy()
        && command.route != PendingCommand.TO_PINNED
        && (loop.backend().topology().current().shards().size() > 1
            || loop.insight().keepsRequests())) {
      // Several shards: any command may meet MOVED or ASK, and run again where it belongs. And
      // the slow log and big keys name a command's arguments and key when its reply comes.
      command.keepRetryCopy();
    }
    if (command.markOffsetFirst()) {
      session.blocking().markWriteOffset(target);
    }
    session.tracking().sent(command, target);
    target.send(command);
  }

  /** Sends an outstanding command (its request set) again, on {@code to}. */
  void sendAgain(PendingCommand command, BackendConnection to) {
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = to;
    lastConnection = resentOn(command, to); // before sentTo changes: it names the lane left
    command.sentTo = to;
    session.tracking().sent(command, to);
    to.send(command);
  }

  /**
   * The connection later commands may follow a resent one on: none while its siblings, or other
   * shards' commands, run. A resent command leaves its lane (it may now be on another shard's
   * node), so whatever follows waits for it.
   */
  private BackendConnection resentOn(PendingCommand command, BackendConnection to) {
    boolean inLane = command.inLane;
    if (inLane) {
      lanes.answered(command.sentTo);
      command.inLane = false;
      outsideLanes++;
    }
    return (command.partOf() != null || inLane) && outstanding > 1 ? null : to;
  }

  /** A command its connection could not send (the node left the topology): send it again. */
  void redispatch(PendingCommand command) {
    BackendConnection target = session.targets().target(command);
    if (target == null) {
      command.complete(session.targets().noTarget(command)); // through onReply: it was outstanding
    } else {
      lastConnection = resentOn(command, target);
      session.tracking().unsent(command);
      session.tracking().sent(command, target);
      target.send(command);
    }
  }

  /** Answers a command never given to a backend, so it never counted as outstanding. */
  private void answerInPlace(PendingCommand command, ByteBuf reply) {
    command.releaseRequest();
    if (command.borrowed() != null) {
      session.blocking().release(command);
    }
    command.reply = reply;
  }

  /**
   * An outstanding command has its final reply (at {@code now}): the barrier may let parked
   * commands go.
   */
  void answered(PendingCommand command, long now) {
    outstanding--;
    session.cachedReads().answered(command);
    if (command.inLane) {
      lanes.answered(command.sentTo);
    } else {
      outsideLanes--;
    }
    session.afterReply(command);
    if (command.spec != null
        && command.sentTo != null
        && (command.partOf() == null || ((CommandParts) command.partOf()).lastAnswered())) {
      // A split command counts once, when its last part is answered: its latency is the client's.
      loop.stats()
          .record(
              command.spec,
              command.sentTo.pool().primary()
                  ? ProxyMetrics.ServedBy.PRIMARY
                  : ProxyMetrics.ServedBy.REPLICA,
              now - command.startedAtNanos);
    }
    while (!parked.isEmpty()) {
      PendingCommand next = parked.peek();
      BackendConnection target = session.targets().target(next);
      if (target == null) {
        answerInPlace(parked.poll(), session.targets().noTarget(next));
        continue;
      }
      int lane = laneOf();
      if (!mayGoNow(next, target, lane)) {
        break;
      }
      send(parked.poll(), target, lane);
    }
    writeCompleted();
  }

  /** Writes the answered prefix of the reply queue, without flushing (that is per batch). */
  void writeCompleted() {
    Channel channel = session.channel();
    boolean wrote = false;
    PendingCommand head;
    while ((head = replies.peek()) != null && head.isDone()) {
      replies.poll();
      ByteBuf reply = head.reply;
      head.reply = null;
      ByteBuf pushes = head.pushesAfter();
      if (pushes != null) {
        head.rare().pushesAfter = null;
      }
      if (head.partOf() != null) {
        // One part of a command split across shards: the last part brings the merged reply.
        reply = ((CommandParts) head.partOf()).take(reply);
        if (reply == null) {
          head.markDelivered();
          wrote |= writePushes(pushes);
          continue;
        }
      }
      boolean silent = head.silent;
      if (silent) {
        reply.release();
        reply = Unpooled.EMPTY_BUFFER;
      }
      if (head.closeAfter) {
        if (pushes != null) {
          pushes.release();
        }
        out.writeRun(channel);
        channel.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        session.closing();
        session.releaseQueued();
        return;
      }
      head.markDelivered();
      loop.recycler().recycle(head);
      if (!silent) {
        write(reply);
        wrote = true;
      }
      wrote |= writePushes(pushes);
    }
    if (wrote) {
      loop.backend().flushes().clientWritten(this);
      ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
      long pending = outbound == null ? 0 : outbound.totalPendingWriteBytes() + out.pendingBytes();
      if (pending > maxOutputBytes) {
        session.closeSlowReader(pending);
      }
    }
  }

  private boolean writePushes(ByteBuf pushes) {
    if (pushes == null) {
      return false;
    }
    write(pushes);
    return true;
  }

  @Override
  public void flush() {
    if (!session.isClosed()) {
      out.writeRun(session.channel());
      session.channel().flush();
    } else {
      out.discard();
    }
  }

  /** Releases what the queue still holds; replies still due from backends are dropped later. */
  void releaseQueued() {
    out.discard();
    for (PendingCommand command : replies) {
      command.discarded = true;
      if (command.partOf() != null) {
        ((CommandParts) command.partOf()).release();
      }
      if (command.reply != null) {
        command.reply.release();
        command.reply = null;
      }
      if (command.pushesAfter() != null) {
        command.pushesAfter().release();
        command.rare().pushesAfter = null;
      }
      if (command.borrowed() != null && !command.isDone()) {
        // A blocked command whose client is gone must not keep its connection blocked.
        command.borrowed().close();
        session.blocking().release(command);
      }
    }
    for (PendingCommand command : parked) {
      command.releaseRequest();
    }
    parked.clear();
    replies.clear();
  }
}
