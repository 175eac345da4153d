package io.switchboard.routing;

import java.nio.charset.StandardCharsets;

/** {@link CommandArgs} over arguments given as text. */
final class TextArgs implements CommandArgs {

  private final byte[][] args;
  private byte[] selected;
  private int at;

  TextArgs(String... args) {
    this.args = new byte[args.length][];
    for (int i = 0; i < args.length; i++) {
      this.args[i] = args[i].getBytes(StandardCharsets.UTF_8);
    }
  }

  @Override
  public int count() {
    return args.length;
  }

  @Override
  public int select(int index) {
    if (index < at) {
      // As strict as a cursor over a request frame, so tests catch a caller that goes back.
      throw new IllegalStateException("argument " + index + " selected after " + at);
    }
    at = index;
    selected = args[index];
    return selected.length;
  }

  @Override
  public void rewind() {
    at = 0;
  }

  @Override
  public byte byteAt(int position) {
    return selected[position];
  }
}
