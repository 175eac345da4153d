package io.switchboard.routing;

/**
 * A range of Redis Cluster hash slots, both ends included.
 *
 * @param first from 0
 * @param last up to {@link KeySlot#SLOTS} - 1
 */
public record SlotRange(int first, int last) {

  /** Every slot: the one shard of a Sentinel deployment holds every key. */
  public static final SlotRange ALL = new SlotRange(0, KeySlot.SLOTS - 1);

  public SlotRange {
    if (first < 0 || last >= KeySlot.SLOTS || first > last) {
      throw new IllegalArgumentException("not a slot range: " + first + "-" + last);
    }
  }

  public boolean contains(int slot) {
    return slot >= first && slot <= last;
  }

  /** As redis-cli and the admin endpoint show it: {@code 0-5460}. */
  @Override
  public String toString() {
    return first + "-" + last;
  }
}
