package io.switchboard.config;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which listener a port is across a reload: its endpoint, and among listeners of the same endpoint
 * (only possible with port 0, as tests configure, each bound to a port of its own) its place.
 */
public record ListenerKey(Endpoint endpoint, int ordinal) {

  /** The listeners by key, in order. */
  public static Map<ListenerKey, ListenerConfig> of(List<ListenerConfig> listeners) {
    Map<ListenerKey, ListenerConfig> out = new LinkedHashMap<>();
    Map<Endpoint, Integer> seen = new HashMap<>();
    for (ListenerConfig listener : listeners) {
      int ordinal = seen.merge(listener.endpoint(), 1, Integer::sum) - 1;
      out.put(new ListenerKey(listener.endpoint(), ordinal), listener);
    }
    return out;
  }
}
