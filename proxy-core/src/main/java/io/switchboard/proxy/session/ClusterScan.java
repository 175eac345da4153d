package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Lines;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.ReplyElements;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotOwnership;
import io.switchboard.routing.Topology;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * SCAN over a cluster: the shards one after the other, in the order of their lowest slot, each
 * scanned on its primary to the end. The client's cursor carries the pass, the node's cursor and
 * the shard: {@code pass << 62 | nodeCursor << 14 | lowestSlot}, so cursor 0 starts at the shard
 * holding slot 0.
 *
 * <p>After the last shard, the cursor names a check ({@link ScanPassCheck}, one more call that
 * answers no keys, which SCAN allows): every primary is asked {@code CLUSTER NODES}. If no slot
 * changed hands since the pass began and none is being migrated, the scan ends (cursor 0) and
 * returned every key exactly once. Otherwise keys may have moved behind the scan, into a shard it
 * had passed, and it goes over the shards again: every key present throughout is returned, as SCAN
 * promises, and keys may come twice, which SCAN allows. Exactly once across a migration would need
 * a cursor per slot, which Redis 7's SCAN does not have (README: Redis Cluster).
 */
final class ClusterScan implements CommandParts {

  /** Node cursors must stay below this (2^48 buckets) to fit beside the pass and the slot. */
  private static final long MAX_NODE_CURSOR = (1L << 48) - 1;

  /** The node cursor field of a check cursor: one no node cursor can take. */
  private static final long CHECK = MAX_NODE_CURSOR;

  /** Passes over the shards at most; a key is missed only if its slot moved during every one. */
  static final int MAX_PASSES = 4;

  private final ClientSession session;
  private final SessionLoop loop;
  private int slot;
  private long pass;

  ClusterScan(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  void start(CommandSpec spec, ByteBuf frame) {
    ArgCursor args = new ArgCursor().reset(frame);
    args.seek(1);
    long cursor;
    try {
      cursor = Long.parseUnsignedLong(args.string());
    } catch (NumberFormatException e) {
      // Not a cursor: the first shard answers with Redis's own error.
      session.cluster().send(spec, frame, PendingCommand.TO_PRIMARY, null, 0);
      return;
    }
    Topology topology = loop.backend().topology().current();
    if (cursor == 0) {
      session.cluster().scanPassStarted(SlotOwnership.of(topology));
    }
    pass = cursor >>> 62;
    slot = (int) (cursor & (KeySlot.SLOTS - 1));
    long nodeCursor = (cursor >>> 14) & MAX_NODE_CURSOR;
    if (nodeCursor == CHECK) {
      frame.release();
      new ScanPassCheck(session, loop, (int) pass).start(topology);
      return;
    }
    ByteBuf request = withCursor(frame, Long.toUnsignedString(nodeCursor));
    frame.release();
    session.cluster().send(spec, request, PendingCommand.TO_PRIMARY, this, slot);
  }

  /** The client's cursor for the check after pass {@code pass}. */
  static String checkCursor(long pass) {
    return Long.toUnsignedString(pass << 62 | CHECK << 14);
  }

  /** The client's cursor that starts pass {@code pass} at the first shard. */
  static String passCursor(long pass, Topology topology) {
    return Long.toUnsignedString(pass << 62 | topology.only().lowestSlot());
  }

  /** The request with its cursor argument replaced. */
  private ByteBuf withCursor(ByteBuf frame, String cursor) {
    ArgCursor args = new ArgCursor().reset(frame);
    ByteBuf out = loop.backend().alloc().buffer(frame.readableBytes() + 24);
    Replies.writeHeader(out, '*', args.count());
    for (int i = 0; i < args.count(); i++) {
      args.seek(i);
      if (i == 1) {
        Replies.writeBulk(out, cursor);
      } else {
        Replies.writeHeader(out, '$', args.length());
        out.writeBytes(frame, args.offset(), args.length()).writeShort(('\r' << 8) | '\n');
      }
    }
    return out;
  }

  @Override
  public ByteBuf take(ByteBuf reply) {
    byte type = reply.getByte(reply.readerIndex());
    if (type != '*') {
      return reply; // an error: the client's answer as it is
    }
    try {
      List<ByteBuf> parts = ReplyElements.of(reply);
      ByteBuf cursorBulk = parts.get(0);
      int lf = cursorBulk.indexOf(cursorBulk.readerIndex(), cursorBulk.writerIndex(), (byte) '\n');
      long length = Lines.parseLong(cursorBulk, cursorBulk.readerIndex() + 1, lf - 1);
      long nodeCursor =
          Long.parseUnsignedLong(
              cursorBulk.toString(lf + 1, (int) length, StandardCharsets.US_ASCII));
      String next = next(nodeCursor);
      if (next == null) {
        return Replies.error(
            loop.backend().alloc(),
            "ERR Switchboard cannot fit this node's SCAN cursor beside the shard");
      }
      ByteBuf keys = parts.get(1);
      ByteBuf out = loop.backend().alloc().buffer(keys.readableBytes() + 32);
      Replies.writeHeader(out, '*', 2);
      Replies.writeBulk(out, next);
      out.writeBytes(keys, keys.readerIndex(), keys.readableBytes());
      return out;
    } finally {
      reply.release();
    }
  }

  /** The client's next cursor: further in this shard, the next shard's start, or the check. */
  private String next(long nodeCursor) {
    if (nodeCursor != 0) {
      if (Long.compareUnsigned(nodeCursor, MAX_NODE_CURSOR) >= 0) {
        return null;
      }
      return Long.toUnsignedString(pass << 62 | nodeCursor << 14 | slot);
    }
    Topology topology = loop.backend().topology().current();
    Shard current = topology.shardFor(slot);
    int from = current == null ? slot : current.lowestSlot();
    int nextSlot = Integer.MAX_VALUE;
    for (Shard shard : topology.shards()) {
      int lowest = shard.lowestSlot();
      if (lowest > from && lowest < nextSlot) {
        nextSlot = lowest;
      }
    }
    if (nextSlot != Integer.MAX_VALUE) {
      return Long.toUnsignedString(pass << 62 | nextSlot);
    }
    return checkCursor(pass);
  }

  @Override
  public boolean lastAnswered() {
    return true; // one part
  }

  @Override
  public void release() {
    // Holds no reply between parts: it has one part.
  }
}
