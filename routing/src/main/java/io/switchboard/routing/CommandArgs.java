package io.switchboard.routing;

/**
 * The arguments of one request as the command table reads them: in place, byte by byte, so that
 * looking a command up builds no strings. proxy-core's cursor over a framed request implements it;
 * {@link #of} wraps plain text (tests, configuration).
 */
public interface CommandArgs {

  /** Number of arguments, the command name included. */
  int count();

  /**
   * Moves to argument {@code index} (0 is the command name) and returns its length. Callers move
   * forward only, as a cursor over a request frame can.
   */
  int select(int index);

  /** Goes back to the command name, for a second pass over the arguments. */
  void rewind();

  /** Byte {@code position} of the selected argument. */
  byte byteAt(int position);

  /**
   * The hash slot of the selected argument, {@code length} long ({@link KeySlot}). A cursor over a
   * request frame does it without a call per byte.
   */
  default int selectedSlot(int length) {
    return KeySlot.of(this, length);
  }

  /** Arguments given as text. */
  static CommandArgs of(String... args) {
    return new TextArgs(args);
  }
}
