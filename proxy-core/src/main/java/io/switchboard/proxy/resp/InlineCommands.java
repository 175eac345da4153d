package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Inline commands ({@code SET k "a b"\r\n}) split as Redis's {@code sdssplitargs} does, quotes and
 * escapes included, and rebuilt as a RESP array so the rest of the proxy sees one form. Rare
 * (telnet, scripts), so clarity beats speed here.
 */
final class InlineCommands {

  private InlineCommands() {}

  /**
   * The next inline command as a RESP array; {@link FramingDecoder#SKIP} for a blank line, which
   * Redis ignores without a reply; null if the line is not complete.
   */
  static ByteBuf decode(ByteBufAllocator alloc, ByteBuf in, int maxInlineBytes) {
    int start = in.readerIndex();
    int lf = Lines.findLf(in, start, start + maxInlineBytes + 1);
    if (lf < 0) {
      if (in.readableBytes() > maxInlineBytes) {
        throw new RespProtocolException("Protocol error: too big inline request");
      }
      return null;
    }
    int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    byte[] line = new byte[end - start];
    in.getBytes(start, line);
    in.readerIndex(lf + 1);
    List<byte[]> args = split(line);
    if (args == null) {
      throw new RespProtocolException("Protocol error: unbalanced quotes in request");
    }
    if (args.isEmpty()) {
      return FramingDecoder.SKIP;
    }
    int size = 16;
    for (byte[] arg : args) {
      size += arg.length + 16;
    }
    ByteBuf frame = alloc.buffer(size);
    frame.writeCharSequence("*" + args.size() + "\r\n", StandardCharsets.US_ASCII);
    for (byte[] arg : args) {
      frame.writeCharSequence("$" + arg.length + "\r\n", StandardCharsets.US_ASCII);
      frame.writeBytes(arg).writeByte('\r').writeByte('\n');
    }
    return frame;
  }

  /** Splits like sdssplitargs; null on unbalanced quotes. */
  static List<byte[]> split(byte[] line) {
    List<byte[]> args = new ArrayList<>();
    int i = 0;
    while (true) {
      while (i < line.length && isSpace(line[i])) {
        i++;
      }
      if (i >= line.length) {
        return args;
      }
      ByteArrayOutputStream current = new ByteArrayOutputStream();
      boolean inDouble = false;
      boolean inSingle = false;
      boolean done = false;
      while (!done) {
        if (i >= line.length) {
          if (inDouble || inSingle) {
            return null;
          }
          done = true;
        } else if (inDouble) {
          byte c = line[i];
          if (c == '\\'
              && i + 3 < line.length
              && line[i + 1] == 'x'
              && isHex(line[i + 2])
              && isHex(line[i + 3])) {
            current.write(hex(line[i + 2]) * 16 + hex(line[i + 3]));
            i += 3;
          } else if (c == '\\' && i + 1 < line.length) {
            i++;
            current.write(unescape(line[i]));
          } else if (c == '"') {
            if (i + 1 < line.length && !isSpace(line[i + 1])) {
              return null;
            }
            done = true;
          } else {
            current.write(c);
          }
          i++;
        } else if (inSingle) {
          byte c = line[i];
          if (c == '\\' && i + 1 < line.length && line[i + 1] == '\'') {
            i++;
            current.write('\'');
          } else if (c == '\'') {
            if (i + 1 < line.length && !isSpace(line[i + 1])) {
              return null;
            }
            done = true;
          } else {
            current.write(c);
          }
          i++;
        } else {
          byte c = line[i];
          if (isSpace(c)) {
            done = true;
          } else if (c == '"') {
            inDouble = true;
          } else if (c == '\'') {
            inSingle = true;
          } else {
            current.write(c);
          }
          i++;
        }
      }
      args.add(current.toByteArray());
    }
  }

  private static int unescape(byte c) {
    return switch (c) {
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      case 'b' -> '\b';
      case 'a' -> 7;
      default -> c;
    };
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0b;
  }

  private static boolean isHex(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  private static int hex(byte c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
  }
}
