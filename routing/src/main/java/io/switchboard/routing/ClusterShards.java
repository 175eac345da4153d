package io.switchboard.routing;

import io.switchboard.config.HostAndPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a Redis Cluster's {@code CLUSTER SHARDS} reply (Redis 7), parsed into lists, maps, strings
 * and longs (RESP2 pairs or RESP3 maps), into a {@link Topology}: one {@link Shard} per entry that
 * owns slots, its primary the node whose role is {@code master}, its replicas those that are {@code
 * online} (a loading or failed replica serves nothing). A shard whose primary is not online is
 * marked as failing over: writes to its slots must wait.
 */
public final class ClusterShards {

  private ClusterShards() {}

  public static Topology parse(List<?> reply) {
    List<Shard> shards = new ArrayList<>();
    for (Object entry : reply) {
      Shard shard = shard(fields(entry));
      if (shard != null) {
        shards.add(shard);
      }
    }
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("CLUSTER SHARDS names no shard that owns slots");
    }
    return new Topology(Topology.bySlot(shards), null);
  }

  private static Shard shard(Map<String, Object> fields) {
    List<SlotRange> slots = new ArrayList<>();
    List<?> bounds = (List<?>) fields.get("slots");
    for (int i = 0; i + 1 < bounds.size(); i += 2) {
      slots.add(new SlotRange(toInt(bounds.get(i)), toInt(bounds.get(i + 1))));
    }
    if (slots.isEmpty()) {
      return null; // a primary without slots (being added or emptied) serves no key
    }
    String name = null;
    HostAndPort primary = null;
    boolean primaryOnline = false;
    List<HostAndPort> replicas = new ArrayList<>();
    for (Object node : (List<?>) fields.get("nodes")) {
      Map<String, Object> n = fields(node);
      HostAndPort address = address(n);
      Object health = n.get("health");
      if ("master".equals(n.get("role"))) {
        name = String.valueOf(n.get("id"));
        primary = address;
        primaryOnline = "online".equals(health);
      } else if (!"failed".equals(health)) {
        replicas.add(address);
      }
    }
    return new Shard(name, primary, replicas, slots, -1, primary != null && !primaryOnline);
  }

  /** The node's address: its endpoint (what clients are told), else its IP. */
  private static HostAndPort address(Map<String, Object> node) {
    Object endpoint = node.get("endpoint");
    String host =
        endpoint == null || "?".equals(endpoint) || "".equals(endpoint)
            ? String.valueOf(node.get("ip"))
            : String.valueOf(endpoint);
    Object port = node.containsKey("port") ? node.get("port") : node.get("tls-port");
    return new HostAndPort(host, toInt(port));
  }

  /** A RESP3 map, or RESP2's flat list of names and values. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> fields(Object entry) {
    if (entry instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    List<?> pairs = (List<?>) entry;
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      out.put(String.valueOf(pairs.get(i)), pairs.get(i + 1));
    }
    return out;
  }

  private static int toInt(Object value) {
    return value instanceof Number number ? number.intValue() : Integer.parseInt(value.toString());
  }
}
