package io.switchboard.routing;

/**
 * Where a command's keys live: the hash slot they share, from the command's key positions (first,
 * last, step, as in {@code COMMAND}), and the shard that holds it. A Sentinel deployment has one
 * shard, which holds every key and is found without hashing; in a cluster the slot picks the shard.
 * Commands with movable keys (EVAL, XREAD, SORT ... STORE) are read by {@link KeyPositions}.
 */
public final class KeySlots {

  /** The command names no key at a fixed position. */
  public static final int KEYLESS = -1;

  /** The command's keys hash to different slots (Redis Cluster's CROSSSLOT). */
  public static final int CROSS_SLOT = -2;

  private KeySlots() {}

  /**
   * The slot every key of the request hashes to, {@link #KEYLESS} or {@link #CROSS_SLOT}. {@code
   * args} may be anywhere: they are rewound first.
   */
  public static int of(CommandSpec spec, CommandArgs args) {
    args.rewind();
    int slot = KEYLESS;
    if (spec.has(CommandSpec.MOVABLE_KEYS)) {
      int[] keys = KeyPositions.movable(spec, args);
      args.rewind();
      for (int i = 0; i < keys.length && slot != CROSS_SLOT; i++) {
        slot = join(slot, args.selectedSlot(args.select(keys[i])));
      }
      return slot;
    }
    int first = spec.firstKey();
    if (first <= 0 || first >= args.count()) {
      return KEYLESS;
    }
    int last = spec.lastKey() < 0 ? args.count() + spec.lastKey() : spec.lastKey();
    int step = Math.max(1, spec.keyStep());
    for (int i = first; i <= last && i < args.count() && slot != CROSS_SLOT; i += step) {
      slot = join(slot, args.selectedSlot(args.select(i)));
    }
    return slot;
  }

  /** The slot of keys seen so far ({@code slot}) and one more key's. */
  private static int join(int slot, int keySlot) {
    return slot == KEYLESS || slot == keySlot ? keySlot : CROSS_SLOT;
  }

  /**
   * The shard that serves the request: the only one of a single-shard deployment, whatever the
   * keys; else the shard of the keys' slot, or null when the keys span slots or name none (to be
   * split or fanned out by the caller).
   */
  public static Shard shardOf(Topology topology, CommandSpec spec, CommandArgs args) {
    if (topology.shards().size() == 1) {
      return topology.only();
    }
    int slot = of(spec, args);
    return slot < 0 ? null : topology.shardFor(slot);
  }
}
