package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Frames server replies: every RESP2 and RESP3 type, nested aggregates, attributes and push frames.
 * Emits each complete top-level reply as one retained slice; the first byte tells a push frame
 * ({@code >}) from a reply. Resumable, so a reply of a million elements arriving in many reads is
 * scanned once; nesting deeper than the limit is a protocol error.
 */
public final class RespReplyDecoder extends FramingDecoder {

  // Longest header or simple line accepted; Redis never sends one anywhere near this.
  private static final int MAX_LINE = 1 << 20;

  private final int[] remaining;
  private int depth;
  private int scanned;

  public RespReplyDecoder(int maxNesting) {
    this.remaining = new int[maxNesting];
  }

  @Override
  ByteBuf nextFrame(ChannelHandlerContext ctx, ByteBuf in) {
    return decodeOne(in);
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
      boolean complete;
      switch (type) {
        case '+', '-', ':', '_', ',', '#', '(' -> complete = true;
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
          complete = true;
        }
        case '*', '~', '>', '%', '|' -> {
          long count = number(in, pos, lf);
          if (count < -1) {
            throw new RespProtocolException("Protocol error: invalid aggregate length in reply");
          }
          long elements = count <= 0 ? 0 : (type == '%' || type == '|') ? count * 2 : count;
          if (type == '|') {
            elements++; // an attribute annotates the value that follows it
          }
          if (elements > Integer.MAX_VALUE) {
            throw new RespProtocolException("Protocol error: invalid aggregate length in reply");
          }
          if (elements > 0) {
            if (depth == remaining.length) {
              throw new RespProtocolException("Protocol error: reply nested too deeply");
            }
            remaining[depth++] = (int) elements;
            complete = false;
          } else {
            complete = true;
          }
        }
        default ->
            throw new RespProtocolException(
                "Protocol error: unexpected reply type byte " + (type & 0xff));
      }
      scanned = next - start;
      if (complete) {
        while (depth > 0 && --remaining[depth - 1] == 0) {
          depth--;
        }
        if (depth == 0) {
          ByteBuf frame = in.readRetainedSlice(scanned);
          scanned = 0;
          return frame;
        }
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
