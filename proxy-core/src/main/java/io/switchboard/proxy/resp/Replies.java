package io.switchboard.proxy.resp;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/** Encodes the replies the proxy writes itself, in RESP2 or RESP3 as the session speaks. */
public final class Replies {

  private static final ByteBuf OK = constant("+OK\r\n");
  private static final ByteBuf PONG = constant("+PONG\r\n");
  private static final ByteBuf NULL2 = constant("$-1\r\n");
  private static final ByteBuf NULL3 = constant("_\r\n");

  private Replies() {}

  private static ByteBuf constant(String text) {
    return Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(text.length())
                .writeBytes(text.getBytes(StandardCharsets.US_ASCII)))
        .asReadOnly();
  }

  public static ByteBuf ok() {
    return OK.duplicate();
  }

  public static ByteBuf pong() {
    return PONG.duplicate();
  }

  public static ByteBuf nil(int protocol) {
    return (protocol == 3 ? NULL3 : NULL2).duplicate();
  }

  public static ByteBuf simple(ByteBufAllocator alloc, String text) {
    return line(alloc, '+', text);
  }

  /** An error reply; {@code text} starts with its code, as in {@code "ERR no such key"}. */
  public static ByteBuf error(ByteBufAllocator alloc, String text) {
    return line(alloc, '-', text.replace('\r', ' ').replace('\n', ' '));
  }

  public static ByteBuf integer(ByteBufAllocator alloc, long value) {
    return line(alloc, ':', Long.toString(value));
  }

  public static ByteBuf bulk(ByteBufAllocator alloc, byte[] value) {
    ByteBuf buf = alloc.buffer(value.length + 16);
    writeBulk(buf, value);
    return buf;
  }

  public static ByteBuf bulk(ByteBufAllocator alloc, ByteBuf source, int offset, int length) {
    ByteBuf buf = alloc.buffer(length + 16);
    writeHeader(buf, '$', length);
    buf.writeBytes(source, offset, length).writeShort(CRLF);
    return buf;
  }

  public static ByteBuf bulk(ByteBufAllocator alloc, String value) {
    return bulk(alloc, value.getBytes(StandardCharsets.UTF_8));
  }

  private static final short CRLF = ('\r' << 8) | '\n';

  /** Text as Redis's addReplyVerbatim sends it: {@code =txt:...} in RESP3, a bulk in RESP2. */
  public static ByteBuf verbatim(ByteBufAllocator alloc, int protocol, String text) {
    if (protocol != 3) {
      return bulk(alloc, text);
    }
    byte[] bytes = ("txt:" + text).getBytes(StandardCharsets.UTF_8);
    ByteBuf buf = alloc.buffer(bytes.length + 16);
    writeHeader(buf, '=', bytes.length);
    buf.writeBytes(bytes).writeShort(CRLF);
    return buf;
  }

  public static void writeHeader(ByteBuf buf, char type, long n) {
    buf.writeByte(type);
    ByteBufUtil.writeAscii(buf, Long.toString(n));
    buf.writeShort(CRLF);
  }

  public static void writeBulk(ByteBuf buf, byte[] value) {
    writeHeader(buf, '$', value.length);
    buf.writeBytes(value).writeShort(CRLF);
  }

  public static void writeBulk(ByteBuf buf, String value) {
    writeBulk(buf, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A map header: {@code %n} in RESP3, a flat array of {@code 2n} in RESP2. */
  public static void writeMapHeader(ByteBuf buf, int protocol, int entries) {
    if (protocol == 3) {
      writeHeader(buf, '%', entries);
    } else {
      writeHeader(buf, '*', entries * 2L);
    }
  }

  private static ByteBuf line(ByteBufAllocator alloc, char type, String text) {
    ByteBuf buf = alloc.buffer(text.length() + 3);
    buf.writeByte(type);
    buf.writeCharSequence(text, StandardCharsets.UTF_8);
    buf.writeShort(CRLF);
    return buf;
  }

  /** A frame built from text, for commands the proxy sends itself (handshakes). */
  public static ByteBuf command(ByteBufAllocator alloc, String... args) {
    ByteBuf buf = alloc.buffer(64);
    writeHeader(buf, '*', args.length);
    for (String arg : args) {
      writeBulk(buf, arg);
    }
    return buf;
  }

  /** Whether a framed reply is an error: a simple (-) or, in RESP3, a blob (!) error. */
  public static boolean isError(ByteBuf reply) {
    byte type = reply.getByte(reply.readerIndex());
    return type == '-' || type == '!';
  }

  /** The text of a simple reply (+, -, :), without its type byte and line end. */
  public static String line(ByteBuf reply) {
    int start = reply.readerIndex() + 1;
    int end = reply.indexOf(start, reply.writerIndex(), (byte) '\r');
    return reply.toString(start, (end < 0 ? reply.writerIndex() : end) - start, UTF_8);
  }
}
