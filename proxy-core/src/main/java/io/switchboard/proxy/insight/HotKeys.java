package io.switchboard.proxy.insight;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * One event loop's keys by request rate, approximately. One keyed command in {@link #SAMPLE}, at
 * random, is counted: its key is hashed where it lies in the request (no copy), a count-min sketch
 * estimates that key's count, and a small table keeps the keys with the highest estimates (a key's
 * bytes are copied when it enters the table, not per command). Counts halve at every {@link
 * #decay}, so the table follows the current load. The loops' tables are merged when read. Used on
 * its loop only.
 */
public final class HotKeys {

  /** One keyed command in this many is counted: the estimates are scaled back up by it. */
  public static final int SAMPLE = 8;

  private static final int DEPTH = 4;
  private static final int WIDTH = 4096; // a power of two
  private static final int CAPACITY = 64;

  /** Longest key kept whole; longer ones are kept as their first bytes. */
  private static final int MAX_KEY = 256;

  /** A counted key and its estimated requests since the counts last halved, times two or so. */
  public record Count(byte[] key, long requests) {}

  private final int[] sketch = new int[DEPTH * WIDTH];
  private final long[] hashes = new long[CAPACITY];
  private final byte[][] keys = new byte[CAPACITY][];
  private final int[] counts = new int[CAPACITY];
  private int size;
  private long random = 0x9E3779B97F4A7C15L;

  /**
   * Whether to count this keyed command: one in {@link #SAMPLE}, at random (xorshift), so a client
   * that alternates keys with a period of the sample's is not seen through one of them only.
   */
  public boolean due() {
    long x = random;
    x ^= x << 13;
    x ^= x >>> 7;
    x ^= x << 17;
    random = x;
    return (x & (SAMPLE - 1)) == 0;
  }

  /** Counts the key at {@code offset, length} of {@code frame} (a sampled command's). */
  public void count(ByteBuf frame, int offset, int length) {
    long hash = hash(frame, offset, length);
    int h1 = (int) hash;
    int h2 = (int) (hash >>> 32) | 1;
    int estimate = Integer.MAX_VALUE;
    for (int d = 0; d < DEPTH; d++) {
      int cell = d * WIDTH + ((h1 + d * h2) & (WIDTH - 1));
      estimate = Math.min(estimate, ++sketch[cell]);
    }
    int min = -1;
    for (int i = 0; i < size; i++) {
      if (hashes[i] == hash) {
        counts[i] = estimate;
        return;
      }
      if (min < 0 || counts[i] < counts[min]) {
        min = i;
      }
    }
    int slot = size < CAPACITY ? size++ : (estimate > counts[min] ? min : -1);
    if (slot >= 0) {
      hashes[slot] = hash;
      counts[slot] = estimate;
      byte[] key = new byte[Math.min(length, MAX_KEY)];
      frame.getBytes(offset, key);
      keys[slot] = key;
    }
  }

  /** Halves every count: called every {@code hotkeys.window} on the loop. */
  public void decay() {
    for (int i = 0; i < sketch.length; i++) {
      sketch[i] >>>= 1;
    }
    for (int i = 0; i < size; i++) {
      counts[i] >>>= 1;
    }
  }

  /** The table's keys with their estimated requests (scaled by the sample rate). */
  public List<Count> snapshot() {
    List<Count> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      if (counts[i] > 0) {
        out.add(new Count(keys[i], (long) counts[i] * SAMPLE));
      }
    }
    return out;
  }

  /** 64-bit FNV-1a over the key's bytes where they lie, mixed so both halves are usable. */
  private static long hash(ByteBuf frame, int offset, int length) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < length; i++) {
      h ^= frame.getByte(offset + i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
