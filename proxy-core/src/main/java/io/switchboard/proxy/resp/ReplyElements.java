package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The elements of one complete, already framed aggregate reply, as slices of it: for the proxy to
 * rebuild a reply around them (an EXEC reply with the answers of commands it ran itself).
 */
public final class ReplyElements {

  private ReplyElements() {}

  /** The top-level elements of {@code aggregate} (not retained: they live as long as it does). */
  public static List<ByteBuf> of(ByteBuf aggregate) {
    int start = aggregate.readerIndex();
    int lf = aggregate.indexOf(start, aggregate.writerIndex(), (byte) '\n');
    long count = Math.max(0, Lines.parseLong(aggregate, start + 1, lf - 1));
    List<ByteBuf> elements = new ArrayList<>((int) Math.min(count, 1024));
    int pos = lf + 1;
    for (long i = 0; i < count; i++) {
      int end = valueEnd(aggregate, pos);
      elements.add(aggregate.slice(pos, end - pos));
      pos = end;
    }
    return elements;
  }

  /** Where the value starting at {@code pos} ends: one count of values to come, as the framer. */
  private static int valueEnd(ByteBuf in, int pos) {
    long remaining = 1;
    while (remaining > 0) {
      byte type = in.getByte(pos);
      int lf = in.indexOf(pos, in.writerIndex(), (byte) '\n');
      int next = lf + 1;
      long children = 0;
      switch (type) {
        case '$', '!', '=' -> {
          long length = Lines.parseLong(in, pos + 1, lf - 1);
          if (length >= 0) {
            next += (int) length + 2;
          }
        }
        case '*', '~', '>', '%', '|' -> {
          long count = Lines.parseLong(in, pos + 1, lf - 1);
          children = count <= 0 ? 0 : (type == '%' || type == '|') ? count * 2 : count;
          if (type == '|') {
            children++;
          }
        }
        default -> {}
      }
      remaining += children - 1;
      pos = next;
    }
    return pos;
  }
}
