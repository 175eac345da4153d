package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Frames server replies: every RESP2 and RESP3 type, nested aggregates, attributes and push frames.
 * Emits each complete top-level reply as one retained slice; the first byte tells a push frame
 * ({@code >}) from a reply. Resumable, so a reply of a million elements arriving in many reads is
 * scanned once.
 *
 * <p>Framing needs no stack: one count of the values still to come tells where a reply ends. It
 * starts at 1, each value takes one, and an aggregate's header adds its elements. So a reply nested
 * as deep as Redis nests it (a Lua table ten thousand levels deep, on request) is framed and
 * forwarded whole in constant state, beside the reply's own bytes.
 */
public final class RespReplyDecoder extends FramingDecoder {

  // Longest header or simple line accepted; Redis never sends one anywhere near this.
  private static final int MAX_LINE = 1 << 20;

  private int scanned;

  /** Values of the current reply still to come. */
  private long remaining = 1;

  /**
   * @param clock the event loop's, which each read of this channel sets
   */
  public RespReplyDecoder(ReadClock clock) {
    super(clock);
  }

  /** A framer with a clock of its own (a client of the proxy's, outside any event loop's). */
  public RespReplyDecoder() {
    this(new ReadClock());
  }

  @Override
  ByteBuf nextFrame(ChannelHandlerContext ctx, ByteBuf in) {
    int start = in.readerIndex();
    while (true) {
      int pos = start + scanned;
      if (pos >= in.writerIndex()) {
        return null;
      }
      byte type = in.getByte(pos);
      int lf = Lines.findLf(in, pos, pos + MAX_LINE);
      if (lf < 0) {
        if (in.writerIndex() - pos >= MAX_LINE) {
          throw new RespProtocolException("Protocol error: reply line too long");
        }
        return null;
      }
      int next = lf + 1;
      long children = 0; // elements of an aggregate; 0 for any other value
      switch (type) {
        case '+', '-', ':', '_', ',', '#', '(' -> {}
        case '$', '!', '=' -> {
          long length = number(in, pos, lf);
          if (length >= 0) {
            long end = (long) next + length + 2;
            if (end > in.writerIndex()) {
              return null;
            }
            next = (int) end;
          } else if (length != -1) {
            throw new RespProtocolException("Protocol error: invalid bulk length in reply");
          }
        }
        case '*', '~', '>', '%', '|' -> {
          long count = number(in, pos, lf);
          if (count < -1) {
            throw new RespProtocolException("Protocol error: invalid aggregate length in reply");
          }
          children = count <= 0 ? 0 : (type == '%' || type == '|') ? count * 2 : count;
          if (type == '|') {
            children++; // an attribute annotates the value that follows it
          }
          if (children > Integer.MAX_VALUE) {
            throw new RespProtocolException("Protocol error: invalid aggregate length in reply");
          }
        }
        default ->
            throw new RespProtocolException(
                "Protocol error: unexpected reply type byte " + (type & 0xff));
      }
      scanned = next - start;
      remaining += children - 1;
      if (remaining == 0) {
        remaining = 1;
        ByteBuf frame = in.readRetainedSlice(scanned);
        scanned = 0;
        return frame;
      }
    }
  }

  private static long number(ByteBuf in, int pos, int lf) {
    long n = Lines.parseLong(in, pos + 1, lf - 1);
    if (n == Lines.NOT_A_NUMBER || in.getByte(lf - 1) != '\r') {
      throw new RespProtocolException("Protocol error: invalid length in reply");
    }
    return n;
  }
}
