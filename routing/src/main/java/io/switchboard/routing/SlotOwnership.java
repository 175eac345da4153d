package io.switchboard.routing;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which primary (by node id) owns which hash slots, in a form two views can be compared in: a
 * topology snapshot, or one node's {@code CLUSTER NODES} reply. A cluster SCAN compares them to
 * learn whether keys may have moved behind it.
 *
 * @param byNode each owning node id's slots, as maximal runs in slot order
 */
public record SlotOwnership(Map<String, List<SlotRange>> byNode) {

  public SlotOwnership {
    byNode = Map.copyOf(byNode);
  }

  public static SlotOwnership of(Topology topology) {
    Map<String, BitSet> owned = new HashMap<>();
    for (Shard shard : topology.shards()) {
      BitSet slots = owned.computeIfAbsent(String.valueOf(shard.name()), id -> new BitSet());
      for (SlotRange range : shard.slots()) {
        slots.set(range.first(), range.last() + 1);
      }
    }
    return runs(owned);
  }

  /**
   * A {@code CLUSTER NODES} reply: per line {@code id address flags primary ping pong epoch link
   * slot...}, where a slot is {@code 5461} or {@code 0-5460}; the {@code [slot->-id]} and {@code
   * [slot-<-id]} entries of a migration in progress are not ownership (see {@link
   * #migrationUnderway}).
   */
  public static SlotOwnership ofClusterNodes(String reply) {
    Map<String, BitSet> owned = new HashMap<>();
    for (String line : reply.split("\n")) {
      String[] fields = line.trim().split(" ");
      if (fields.length < 9) {
        continue; // no slots
      }
      BitSet slots = owned.computeIfAbsent(fields[0], id -> new BitSet());
      for (int i = 8; i < fields.length; i++) {
        String entry = fields[i];
        if (entry.isEmpty() || entry.charAt(0) == '[') {
          continue;
        }
        int dash = entry.indexOf('-');
        int first = Integer.parseInt(dash < 0 ? entry : entry.substring(0, dash));
        int last = dash < 0 ? first : Integer.parseInt(entry.substring(dash + 1));
        slots.set(first, last + 1);
      }
    }
    return runs(owned);
  }

  /**
   * Whether the node that wrote this {@code CLUSTER NODES} reply is migrating or importing a slot
   * (it shows that on its own line only): keys of that slot are moving between nodes now.
   */
  public static boolean migrationUnderway(String reply) {
    return reply.contains("->-") || reply.contains("-<-");
  }

  private static SlotOwnership runs(Map<String, BitSet> owned) {
    Map<String, List<SlotRange>> byNode = new HashMap<>();
    owned.forEach(
        (id, slots) -> {
          List<SlotRange> ranges = new ArrayList<>();
          for (int first = slots.nextSetBit(0); first >= 0; ) {
            int end = slots.nextClearBit(first);
            ranges.add(new SlotRange(first, end - 1));
            first = slots.nextSetBit(end);
          }
          if (!ranges.isEmpty()) {
            byNode.put(id, List.copyOf(ranges));
          }
        });
    return new SlotOwnership(byNode);
  }
}
