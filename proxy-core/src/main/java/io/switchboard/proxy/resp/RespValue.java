package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one framed reply into plain Java values, for the few replies the proxy reads itself
 * (handshakes). Strings for simple and bulk strings, {@link Long}, {@link List}, {@link Map},
 * {@code null}, and {@link Error} for error replies. Not for the hot path.
 */
public final class RespValue {

  /** An error reply, such as {@code WRONGPASS invalid username-password pair}. */
  public record Error(String message) {}

  private final ByteBuf buf;
  private int pos;

  private RespValue(ByteBuf buf) {
    this.buf = buf;
    this.pos = buf.readerIndex();
  }

  public static Object parse(ByteBuf frame) {
    return new RespValue(frame).value();
  }

  private Object value() {
    byte type = buf.getByte(pos);
    int lf = buf.indexOf(pos, buf.writerIndex(), (byte) '\n');
    String line = buf.toString(pos + 1, lf - 1 - (pos + 1), StandardCharsets.UTF_8);
    pos = lf + 1;
    switch (type) {
      case '+', ',', '(':
        return line;
      case '-':
        return new Error(line);
      case ':':
        return Long.parseLong(line);
      case '#':
        return line.equals("t");
      case '_':
        return null;
      case '$', '=', '!':
        {
          int length = Integer.parseInt(line);
          if (length < 0) {
            return null;
          }
          String s = buf.toString(pos, length, StandardCharsets.UTF_8);
          pos += length + 2;
          return type == '!' ? new Error(s) : s;
        }
      case '*', '~', '>':
        {
          int n = Integer.parseInt(line);
          if (n < 0) {
            return null;
          }
          List<Object> items = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            items.add(value());
          }
          return items;
        }
      case '%', '|':
        {
          int n = Integer.parseInt(line);
          Map<Object, Object> map = new LinkedHashMap<>();
          for (int i = 0; i < n; i++) {
            map.put(value(), value());
          }
          return type == '|' ? value() : map;
        }
      default:
        throw new IllegalArgumentException("not a RESP reply: type byte " + type);
    }
  }
}
