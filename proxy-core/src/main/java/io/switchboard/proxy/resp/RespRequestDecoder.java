package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Frames client requests. Emits one {@link ByteBuf} per command, always in RESP array form: a
 * retained slice of the bytes as they arrived for RESP input, a small rebuilt buffer for inline
 * commands (what telnet and {@code redis-cli} without a terminal send). Only the framing is checked
 * here; what the command means is the session's business.
 *
 * <p>The state machine resumes where it stopped, so a large command arriving in many reads is
 * scanned once. Every length is checked against a limit before any byte is waited for.
 */
public final class RespRequestDecoder extends FramingDecoder {

  private final long maxBulkBytes;
  private final int maxMultibulk;
  private final int maxInlineBytes;
  private final long maxRequestBytes;

  /** When bytes last arrived from the client (once per socket read). */
  private long lastInputNanos = System.nanoTime();

  // Progress within the command starting at the reader index (resumable state).
  private int scanned;
  private int argsRemaining = -1;

  /**
   * @param clock the event loop's, which each read of this channel sets
   */
  public RespRequestDecoder(
      ReadClock clock,
      long maxBulkBytes,
      int maxMultibulk,
      int maxInlineBytes,
      long maxRequestBytes) {
    super(clock);
    this.maxBulkBytes = maxBulkBytes;
    this.maxMultibulk = maxMultibulk;
    this.maxInlineBytes = maxInlineBytes;
    this.maxRequestBytes = maxRequestBytes;
  }

  /**
   * Since when the bytes of an unfinished command have been waiting for the rest (they stay in the
   * decoder's buffer), or -1 when no command is half-read. Read on the channel's event loop.
   */
  public long partialSinceNanos() {
    return actualReadableBytes() > 0 ? lastInputNanos : -1;
  }

  /** When the client last sent anything. */
  public long lastInputNanos() {
    return lastInputNanos;
  }

  @Override
  void bytesArrived(long nanos) {
    lastInputNanos = nanos;
  }

  @Override
  ByteBuf nextFrame(ChannelHandlerContext ctx, ByteBuf in) {
    return in.getByte(in.readerIndex()) == '*'
        ? decodeMultibulk(in)
        : InlineCommands.decode(ctx.alloc(), in, maxInlineBytes);
  }

  /** A whole command as a retained slice, or null when more bytes are needed. */
  private ByteBuf decodeMultibulk(ByteBuf in) {
    int start = in.readerIndex();
    if (argsRemaining < 0) {
      int lf = Lines.findLf(in, start, start + 32);
      if (lf < 0) {
        if (in.readableBytes() >= 32) {
          throw new RespProtocolException("Protocol error: invalid multibulk length");
        }
        return null;
      }
      long count = Lines.parseLong(in, start + 1, lf - 1);
      if (in.getByte(lf - 1) != '\r' || count == Lines.NOT_A_NUMBER || count > maxMultibulk) {
        throw new RespProtocolException("Protocol error: invalid multibulk length");
      }
      if (count <= 0) {
        // Redis skips empty and null multibulks without a reply.
        in.readerIndex(lf + 1);
        return SKIP;
      }
      argsRemaining = (int) count;
      scanned = lf + 1 - start;
    }
    while (argsRemaining > 0) {
      int pos = start + scanned;
      if (pos >= in.writerIndex()) {
        return null;
      }
      if (in.getByte(pos) != '$') {
        throw new RespProtocolException(
            "Protocol error: expected '$', got '" + (char) in.getByte(pos) + "'");
      }
      int lf = Lines.findLf(in, pos, pos + 32);
      if (lf < 0) {
        if (in.writerIndex() - pos >= 32) {
          throw new RespProtocolException("Protocol error: invalid bulk length");
        }
        return null;
      }
      long length = Lines.parseLong(in, pos + 1, lf - 1);
      if (in.getByte(lf - 1) != '\r' || length < 0 || length > maxBulkBytes) {
        throw new RespProtocolException("Protocol error: invalid bulk length");
      }
      long end = (long) lf + 1 + length + 2;
      if (end - start > maxRequestBytes) {
        throw new RespProtocolException("Protocol error: request larger than the proxy allows");
      }
      if (end > in.writerIndex()) {
        return null;
      }
      if (in.getByte((int) end - 2) != '\r' || in.getByte((int) end - 1) != '\n') {
        throw new RespProtocolException("Protocol error: bulk string not terminated by CRLF");
      }
      scanned = (int) end - start;
      argsRemaining--;
    }
    argsRemaining = -1;
    ByteBuf frame = in.readRetainedSlice(scanned);
    scanned = 0;
    return frame;
  }
}
