package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code CLUSTER SLOTS}, what servers before Redis 7.0 (without {@code CLUSTER SHARDS})
 * answer, into a {@link Topology}: one entry per slot range, naming the range's primary and its
 * replicas (failed ones left out by the server). Ranges of one primary make one {@link Shard}. It
 * says nothing of a primary's health, so no shard is marked as failing over: that is learnt from
 * {@code ROLE} and from the cluster's next answer.
 */
public final class ClusterSlots {

  private ClusterSlots() {}

  public static Topology parse(List<?> reply) {
    Map<String, List<SlotRange>> slotsById = new LinkedHashMap<>();
    Map<String, HostAndPort> primaryById = new LinkedHashMap<>();
    Map<String, List<HostAndPort>> replicasById = new LinkedHashMap<>();
    for (Object entry : reply) {
      List<?> range = (List<?>) entry;
      if (range.size() < 3) {
        throw new IllegalArgumentException("a CLUSTER SLOTS entry without a primary: " + range);
      }
      List<?> primary = (List<?>) range.get(2);
      HostAndPort address = address(primary);
      String id = primary.size() > 2 ? String.valueOf(primary.get(2)) : address.toString();
      slotsById
          .computeIfAbsent(id, k -> new ArrayList<>())
          .add(new SlotRange(toInt(range.get(0)), toInt(range.get(1))));
      primaryById.put(id, address);
      List<HostAndPort> replicas = new ArrayList<>();
      for (int i = 3; i < range.size(); i++) {
        replicas.add(address((List<?>) range.get(i)));
      }
      replicasById.put(id, replicas);
    }
    if (slotsById.isEmpty()) {
      throw new IllegalArgumentException("CLUSTER SLOTS names no slot");
    }
    List<Shard> shards = new ArrayList<>();
    slotsById.forEach(
        (id, slots) ->
            shards.add(new Shard(id, primaryById.get(id), replicasById.get(id), slots, -1, false)));
    return new Topology(Topology.bySlot(shards), null);
  }

  private static HostAndPort address(List<?> node) {
    return new HostAndPort(String.valueOf(node.get(0)), toInt(node.get(1)));
  }

  private static int toInt(Object value) {
    return value instanceof Number number ? number.intValue() : Integer.parseInt(value.toString());
  }
}
