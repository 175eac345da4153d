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
import io.switchboard.routing.Topology;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * SCAN over a cluster: the shards one after the other, in the order of their lowest slot, each
 * scanned on its primary to the end. The client's cursor carries both the node's cursor and the
 * shard: {@code nodeCursor * 16384 + lowestSlot}, so cursor 0 starts at the shard holding slot 0
 * and the last shard's end answers 0, as one server would. Every key present for the whole scan is
 * returned, as SCAN promises; a key whose slot moves to a shard already scanned during the scan may
 * be missed, and one moving to a shard not yet scanned may come twice (the client's SCAN contract
 * allows duplicates, not misses: the README says so).
 */
final class ClusterScan implements CommandParts {

  /** Node cursors at or above this do not fit beside the slot and the pass bit (2^49 buckets). */
  private static final long MAX_NODE_CURSOR = 1L << 49;

  /** The cursor's top bit: the scan is in its second pass over the shards. */
  private static final long SECOND_PASS = 1L << 63;

  private final ClientSession session;
  private final SessionLoop loop;
  private int slot;
  private boolean secondPass;

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
    if (cursor == 0) {
      session.cluster().scanStarted(System.nanoTime());
    }
    secondPass = (cursor & SECOND_PASS) != 0;
    slot = (int) (cursor & (KeySlot.SLOTS - 1));
    long nodeCursor = (cursor & ~SECOND_PASS) >>> 14;
    ByteBuf request = withCursor(frame, Long.toUnsignedString(nodeCursor));
    frame.release();
    session.cluster().send(spec, request, PendingCommand.TO_PRIMARY, this, slot);
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

  /**
   * The client's next cursor: further in this shard, the next shard's start, or 0 at the end. If
   * slots changed hands since the scan began, the end of the first pass starts a second one: keys
   * that moved into a shard already scanned would be missed otherwise (SCAN promises every key
   * present throughout; a second pass returns duplicates, which it allows).
   */
  private String next(long nodeCursor) {
    long pass = secondPass ? SECOND_PASS : 0;
    if (nodeCursor != 0) {
      if (Long.compareUnsigned(nodeCursor, MAX_NODE_CURSOR) >= 0) {
        return null;
      }
      return Long.toUnsignedString(pass | (nodeCursor << 14) | slot);
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
      return Long.toUnsignedString(pass | nextSlot);
    }
    long moved = loop.backend().topology().slotsMovedAtNanos();
    long started = session.cluster().scanStartedAtNanos();
    if (!secondPass
        && moved != Long.MIN_VALUE
        && started != Long.MIN_VALUE
        && moved - started > 0) {
      return Long.toUnsignedString(SECOND_PASS | topology.only().lowestSlot());
    }
    return "0";
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
