package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/** Reading CRLF-terminated header lines and the integers in them, in place, without copies. */
public final class Lines {

  public static final long NOT_A_NUMBER = Long.MIN_VALUE;

  private Lines() {}

  /** Index of the LF that ends the line starting at {@code from}, or -1 if not arrived yet. */
  static int findLf(ByteBuf buf, int from, int limit) {
    int end = Math.min(buf.writerIndex(), limit);
    if (from >= end) {
      return -1;
    }
    return buf.forEachByte(from, end - from, ByteProcessor.FIND_LF);
  }

  /**
   * Parses a signed decimal in {@code buf[from, to)}; {@link #NOT_A_NUMBER} when it is not one
   * (empty, a stray character, or more digits than a long holds).
   */
  public static long parseLong(ByteBuf buf, int from, int to) {
    if (from >= to) {
      return NOT_A_NUMBER;
    }
    boolean negative = buf.getByte(from) == '-';
    int i = negative ? from + 1 : from;
    if (i >= to || to - i > 18) {
      return NOT_A_NUMBER;
    }
    long value = 0;
    for (; i < to; i++) {
      int digit = buf.getByte(i) - '0';
      if (digit < 0 || digit > 9) {
        return NOT_A_NUMBER;
      }
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }
}
