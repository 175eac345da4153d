package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** The keys of an invalidation, read where they start in a push frame: an array, or a null. */
final class InvalidationKeys {

  /** What starts every invalidation push frame, before its keys. */
  static final byte[] INVALIDATE_HEAD =
      ">2\r\n$10\r\ninvalidate\r\n".getBytes(StandardCharsets.US_ASCII);

  private InvalidationKeys() {}

  /**
   * Gives each key at {@code at} (bytes as ISO-8859-1 chars) to {@code key}; false when a null is
   * there instead (every key: FLUSHALL, FLUSHDB).
   */
  static boolean forEach(ByteBuf frame, int at, Consumer<String> key) {
    if (frame.getByte(at) != '*') {
      return false;
    }
    int lf = frame.indexOf(at, frame.writerIndex(), (byte) '\n');
    int count = Integer.parseInt(frame.toString(at + 1, lf - 2 - at, StandardCharsets.US_ASCII));
    at = lf + 1;
    for (int i = 0; i < count; i++) {
      lf = frame.indexOf(at, frame.writerIndex(), (byte) '\n');
      int length = Integer.parseInt(frame.toString(at + 1, lf - 2 - at, StandardCharsets.US_ASCII));
      key.accept(frame.toString(lf + 1, length, StandardCharsets.ISO_8859_1));
      at = lf + 1 + length + 2;
    }
    return true;
  }
}
