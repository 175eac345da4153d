package io.switchboard.routing;

/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag (the text
 * between the first '{' and the next '}', when not empty), modulo 16,384. The same function as
 * {@code keyHashSlot} in Redis's {@code cluster.c}.
 */
public final class KeySlot {

  public static final int SLOTS = 16_384;

  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int crc = i << 8;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      TABLE[i] = crc & 0xffff;
    }
  }

  private KeySlot() {}

  /** The slot of the selected argument of {@code args} (select it first), {@code length} long. */
  public static int of(CommandArgs args, int length) {
    byte[] key = new byte[length];
    for (int i = 0; i < length; i++) {
      key[i] = args.byteAt(i);
    }
    return of(key, length);
  }

  /** The slot of a key given as bytes. */
  public static int of(byte[] key) {
    return of(key, key.length);
  }

  /** The slot of the key in the first {@code length} bytes of {@code key}. */
  public static int of(byte[] key, int length) {
    int start = 0;
    int end = length;
    for (int open = 0; open < length; open++) {
      if (key[open] == '{') {
        for (int close = open + 1; close < length; close++) {
          if (key[close] == '}') {
            if (close > open + 1) {
              start = open + 1;
              end = close;
            }
            break;
          }
        }
        break;
      }
    }
    int crc = 0;
    for (int i = start; i < end; i++) {
      crc = ((crc << 8) ^ TABLE[((crc >>> 8) ^ key[i]) & 0xff]) & 0xffff;
    }
    return crc & (SLOTS - 1);
  }

  /**
   * A hash tag whose slot is {@code slot}: {@code "{" + tagFor(slot) + "}"} in a name puts it
   * there. Found once for every slot (numbers tried in turn), then looked up.
   */
  public static int tagFor(int slot) {
    return Tags.BY_SLOT[slot];
  }

  private static final class Tags {
    static final int[] BY_SLOT = new int[SLOTS];

    static {
      java.util.Arrays.fill(BY_SLOT, -1);
      int found = 0;
      for (int n = 0; found < SLOTS; n++) {
        int slot = of(Integer.toString(n));
        if (BY_SLOT[slot] < 0) {
          BY_SLOT[slot] = n;
          found++;
        }
      }
    }
  }

  /** The slot of a key given as text. */
  public static int of(String key) {
    CommandArgs args = CommandArgs.of(key);
    return of(args, args.select(0));
  }
}
