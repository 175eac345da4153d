package io.switchboard.routing;

/**
 * Where the keys of a command with movable keys are, read from its arguments as Redis's key specs
 * describe them: a key count ({@code EVAL script 2 k1 k2}, {@code ZUNION 2 k1 k2}), a keyword
 * ({@code XREAD ... STREAMS k1 k2 id1 id2}, {@code SORT k ... STORE dest}). Commands of modules
 * with movable keys are unknown here and count as keyless. A malformed count ends the keys early;
 * the server answers the command with its own error.
 */
public final class KeyPositions {

  private static final int[] NONE = new int[0];

  private KeyPositions() {}

  /**
   * The indexes of every key of the request, in order: the fixed positions of the command table
   * (first, last, step), or for movable keys those read from the arguments.
   */
  public static int[] all(CommandSpec spec, CommandArgs args) {
    if (spec.has(CommandSpec.MOVABLE_KEYS)) {
      return movable(spec, args);
    }
    int first = spec.firstKey();
    if (first <= 0 || first >= args.count()) {
      return NONE;
    }
    int last = spec.lastKey() < 0 ? args.count() + spec.lastKey() : spec.lastKey();
    last = Math.min(last, args.count() - 1);
    int step = Math.max(1, spec.keyStep());
    if (last < first) {
      return NONE;
    }
    int[] keys = new int[(last - first) / step + 1];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = first + i * step;
    }
    return keys;
  }

  /** The indexes of the request's keys, in order (not counting those at fixed positions). */
  public static int[] movable(CommandSpec spec, CommandArgs args) {
    return switch (spec.name()) {
      case "EVAL", "EVAL_RO", "EVALSHA", "EVALSHA_RO", "FCALL", "FCALL_RO" -> counted(args, 2);
      case "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD", "SINTERCARD", "LMPOP", "ZMPOP" ->
          counted(args, 1);
      case "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE" -> prepend(1, counted(args, 2));
      case "BLMPOP", "BZMPOP" -> counted(args, 2);
      case "XREAD", "XREADGROUP" -> streams(args);
      case "SORT", "GEORADIUS", "GEORADIUSBYMEMBER" -> prepend(1, after(args, 2, "STORE"));
      case "MIGRATE" -> migrate(args);
      default -> NONE;
    };
  }

  /** A key count at {@code at}, the keys right after it. */
  private static int[] counted(CommandArgs args, int at) {
    if (at >= args.count()) {
      return NONE;
    }
    long count = number(args, at);
    if (count <= 0) {
      return NONE;
    }
    int n = (int) Math.min(count, args.count() - at - 1);
    int[] keys = new int[n];
    for (int i = 0; i < n; i++) {
      keys[i] = at + 1 + i;
    }
    return keys;
  }

  /** {@code STREAMS k1 .. kn id1 .. idn}: the first half of what follows the keyword. */
  private static int[] streams(CommandArgs args) {
    for (int i = 1; i < args.count(); i++) {
      if (is(args, i, "STREAMS")) {
        int n = (args.count() - i - 1) / 2;
        int[] keys = new int[n];
        for (int k = 0; k < n; k++) {
          keys[k] = i + 1 + k;
        }
        return keys;
      }
    }
    return NONE;
  }

  /** The argument after the first {@code keyword} (or {@code keyword}DIST) from {@code from}. */
  private static int[] after(CommandArgs args, int from, String keyword) {
    for (int i = from; i + 1 < args.count(); i++) {
      if (is(args, i, keyword) || is(args, i, keyword + "DIST")) {
        return new int[] {i + 1};
      }
    }
    return NONE;
  }

  /** {@code MIGRATE host port key|"" db timeout ... [KEYS k1 .. kn]}. */
  private static int[] migrate(CommandArgs args) {
    if (args.count() > 3 && args.select(3) > 0) {
      return new int[] {3};
    }
    for (int i = 6; i < args.count(); i++) {
      if (is(args, i, "KEYS")) {
        int[] keys = new int[args.count() - i - 1];
        for (int k = 0; k < keys.length; k++) {
          keys[k] = i + 1 + k;
        }
        return keys;
      }
    }
    return NONE;
  }

  private static int[] prepend(int first, int[] rest) {
    int[] keys = new int[rest.length + 1];
    keys[0] = first;
    System.arraycopy(rest, 0, keys, 1, rest.length);
    return keys;
  }

  private static boolean is(CommandArgs args, int index, String upperWord) {
    int length = args.select(index);
    if (length != upperWord.length()) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      byte b = args.byteAt(i);
      if (b >= 'a' && b <= 'z') {
        b -= 32;
      }
      if (b != upperWord.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** The argument as a non-negative number, or -1. */
  private static long number(CommandArgs args, int index) {
    int length = args.select(index);
    if (length == 0 || length > 10) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < length; i++) {
      byte b = args.byteAt(i);
      if (b < '0' || b > '9') {
        return -1;
      }
      value = value * 10 + (b - '0');
    }
    return value;
  }
}
