package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.switchboard.routing.CommandArgs;
import io.switchboard.routing.KeySlot;
import java.nio.charset.StandardCharsets;

/**
 * Walks the arguments of one framed request in place. One cursor per session, reset per command, so
 * looking at a command allocates nothing. Frames come from {@link RespRequestDecoder}, which has
 * already validated them.
 */
public final class ArgCursor implements CommandArgs {

  private ByteBuf frame;
  private int count;
  private int index;
  private int next;
  private int offset;
  private int length;

  /** Points at the frame's first argument (the command name). */
  public ArgCursor reset(ByteBuf frame) {
    this.frame = frame;
    int lf = frame.indexOf(frame.readerIndex(), frame.writerIndex(), (byte) '\n');
    this.count = (int) Lines.parseLong(frame, frame.readerIndex() + 1, lf - 1);
    this.next = lf + 1;
    this.index = -1;
    advance();
    return this;
  }

  @Override
  public int count() {
    return count;
  }

  /** Moves to the next argument; false when there is none. */
  public boolean advance() {
    if (index + 1 >= count) {
      index = count;
      return false;
    }
    int lf = frame.indexOf(next, frame.writerIndex(), (byte) '\n');
    length = (int) Lines.parseLong(frame, next + 1, lf - 1);
    offset = lf + 1;
    next = offset + length + 2;
    index++;
    return true;
  }

  /** Moves to argument {@code i} (0 is the command name); only forwards. */
  public ArgCursor seek(int i) {
    while (index < i && advance()) {
      // keep walking
    }
    return this;
  }

  @Override
  public int select(int index) {
    seek(index);
    return length;
  }

  @Override
  public void rewind() {
    if (index != 0) {
      reset(frame);
    }
  }

  /** Points where {@code other} points, in the same frame, without reading the frame again. */
  public ArgCursor copyOf(ArgCursor other) {
    frame = other.frame;
    count = other.count;
    index = other.index;
    next = other.next;
    offset = other.offset;
    length = other.length;
    return this;
  }

  @Override
  public byte byteAt(int position) {
    return frame.getByte(offset + position);
  }

  /** Keys up to this long are hashed from a copy in {@link #keyBytes}; longer ones byte by byte. */
  private static final int COPIED_KEY_MAX = 512;

  /** The selected key, copied with one bounds check to hash it; reused, grown on demand. */
  private byte[] keyBytes;

  @Override
  public int selectedSlot(int length) {
    if (length > COPIED_KEY_MAX) {
      return KeySlot.of(this, length);
    }
    if (keyBytes == null || keyBytes.length < length) {
      keyBytes = new byte[Math.max(64, length)];
    }
    frame.getBytes(offset, keyBytes, 0, length);
    return KeySlot.of(keyBytes, length);
  }

  public int offset() {
    return offset;
  }

  public int length() {
    return length;
  }

  public ByteBuf frame() {
    return frame;
  }

  public String string() {
    return frame.toString(offset, length, StandardCharsets.UTF_8);
  }

  /** The argument's bytes as one char each (ISO-8859-1): a lossless map key for a binary key. */
  public String latin1() {
    return frame.toString(offset, length, StandardCharsets.ISO_8859_1);
  }

  public byte[] bytes() {
    byte[] bytes = new byte[length];
    frame.getBytes(offset, bytes);
    return bytes;
  }

  /** Case-insensitive comparison with an upper-case ASCII word. */
  public boolean is(String upperWord) {
    if (length != upperWord.length()) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      byte b = frame.getByte(offset + i);
      if (b >= 'a' && b <= 'z') {
        b -= 32;
      }
      if (b != upperWord.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The argument as a long, or {@link Long#MIN_VALUE} when it is not an integer. */
  public long longValue() {
    long value = Lines.parseLong(frame, offset, offset + length);
    return value == Lines.NOT_A_NUMBER ? Long.MIN_VALUE : value;
  }
}
