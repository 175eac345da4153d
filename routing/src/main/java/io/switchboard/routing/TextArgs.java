package io.switchboard.routing;

import java.nio.charset.StandardCharsets;

/** {@link CommandArgs} over arguments given as text. */
final class TextArgs implements CommandArgs {

  private final byte[][] args;
  private byte[] selected;

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
    selected = args[index];
    return selected.length;
  }

  @Override
  public byte byteAt(int position) {
    return selected[position];
  }
}
