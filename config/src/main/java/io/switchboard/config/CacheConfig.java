package io.switchboard.config;

import java.util.List;
import java.util.Set;

/**
 * The opt-in near cache: reads answered from the proxy's memory, invalidated by the servers'
 * broadcast tracking.
 *
 * @param enabled the default of every listener's {@code cache}
 * @param maxBytes reply bytes held at most (Caffeine, weighed by bytes)
 * @param commands single-key read commands whose replies are cached, upper case
 * @param prefixes key prefixes that are cached; empty for every key
 */
public record CacheConfig(
    boolean enabled, long maxBytes, Set<String> commands, List<String> prefixes) {

  public CacheConfig {
    commands = Set.copyOf(commands);
    prefixes = List.copyOf(prefixes);
  }
}
