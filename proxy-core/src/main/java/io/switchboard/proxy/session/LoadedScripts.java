package io.switchboard.proxy.session;

import io.switchboard.config.HostAndPort;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which scripts this event loop has made sure each node holds (SCRIPT LOAD sent there), so that
 * EVALSHA finds them on whichever node it reaches. Forgotten when the proxy-wide {@link
 * ScriptCache} is flushed, and per node when the node leaves; bounded like the bodies.
 */
final class LoadedScripts {

  private final ScriptCache scripts;
  private final int maxPerNode;
  private final Map<HostAndPort, Set<String>> loaded = new HashMap<>();
  private int flushesSeen;

  LoadedScripts(ScriptCache scripts, int maxPerNode) {
    this.scripts = scripts;
    this.maxPerNode = maxPerNode;
  }

  ScriptCache bodies() {
    return scripts;
  }

  boolean loaded(HostAndPort node, String sha) {
    if (flushesSeen != scripts.flushes()) {
      flushesSeen = scripts.flushes();
      loaded.clear();
    }
    Set<String> known = loaded.get(node);
    return known != null && known.contains(sha);
  }

  void markLoaded(HostAndPort node, String sha) {
    Set<String> known = loaded.computeIfAbsent(node, n -> new HashSet<>());
    if (known.size() >= maxPerNode) {
      known.clear(); // forgetting only costs a SCRIPT LOAD again
    }
    known.add(sha);
  }

  void forget(HostAndPort node) {
    loaded.remove(node);
  }
}
