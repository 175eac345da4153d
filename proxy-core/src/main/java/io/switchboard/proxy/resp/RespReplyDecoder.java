package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Frames server replies: every RESP2 and RESP3 type, nested aggregates, attributes and push frames.
 * Emits each complete top-level reply as one retained slice; the first byte tells a push frame
 * ({@code >}) from a reply. Resumable, so a reply of a million elements arriving in many reads is
 * scanned once.
 *
 * <p>A reply nested deeper than the limit is not kept whole: the rest of it is only counted (values
 * still to come, one number instead of a level per nesting) until it ends, and the command gets an
 * error in its place. A client can make Redis nest a reply ten thousand levels deep (a Lua table);
 * treating that as a broken connection would fail every other client's commands on it.
 */
public final class RespReplyDecoder extends FramingDecoder {

  // Longest header or simple line accepted; Redis never sends one anywhere near this.
  private static final int MAX_LINE = 1 << 20;

  private final int[] remaining;
  private int depth;
  private int scanned;

  /** Past the nesting limit: values of the current reply still to come, or -1 when within it. */
  private long skipping = -1;

  public RespReplyDecoder(int maxNesting) {
    this.remaining = new int[maxNesting];
  }

  @Override
  ByteBuf nextFrame(ChannelHandlerContext ctx, ByteBuf in) {
    ByteBuf frame = decodeOne(in);
    if (frame == null || skipping < 0) {
      return frame;
    }
    frame.release();
    skipping = -1;
    return Replies.error(
        ctx.alloc(),
        "ERR Switchboard: the reply is nested deeper than limits.max-reply-nesting ("
            + remaining.length
            + ")");
  }

  private ByteBuf decodeOne(ByteBuf in) {
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
      if (skipping >= 0) {
        skipping += children - 1; // this value is read; its elements are still to come
      } else if (children > 0 && depth == remaining.length) {
        // Values still to come: this one's elements, and at each open level those after the
        // element being read there (the aggregate one level down).
        skipping = children;
        for (int i = 0; i < depth; i++) {
          skipping += remaining[i] - 1;
        }
      } else if (children > 0) {
        remaining[depth++] = (int) children;
        continue;
      } else {
        while (depth > 0 && --remaining[depth - 1] == 0) {
          depth--;
        }
      }
      if (skipping == 0 || (skipping < 0 && depth == 0)) {
        depth = 0;
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
