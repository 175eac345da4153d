package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering the README draws, checked on the sources: which proxy-core package imports which.
 * Dependencies point one way, cold packages (admin, metrics, tls, demo, transport) never reach the
 * hot path, and the backend knows sessions only through its CommandOwner interface.
 */
class PackageDependenciesTest {

  private static final Path MAIN = Path.of("src/main/java/io/switchboard/proxy");
  private static final Pattern IMPORT =
      Pattern.compile(
          "^import (?:static )?io\\.switchboard\\.proxy\\.([a-z]+)\\.", Pattern.MULTILINE);

  /** Package to the packages its classes import, from the sources. */
  private static Map<String, Set<String>> graph() throws IOException {
    Map<String, Set<String>> edges = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Path relative = MAIN.relativize(file.getParent());
        String from = relative.toString().isEmpty() ? "(bootstrap)" : relative.toString();
        Set<String> to = edges.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher m = IMPORT.matcher(Files.readString(file));
        while (m.find()) {
          if (!m.group(1).equals(from)) {
            to.add(m.group(1));
          }
        }
      }
    }
    return edges;
  }

  @Test
  void thePackagesFormNoCycle() throws IOException {
    Map<String, Set<String>> edges = graph();
    for (String start : edges.keySet()) {
      List<String> path = new ArrayList<>();
      assertThat(cycleFrom(start, start, edges, path, new HashSet<>()))
          .as("a cycle through %s: %s", start, path)
          .isFalse();
    }
  }

  private static boolean cycleFrom(
      String start,
      String at,
      Map<String, Set<String>> edges,
      List<String> path,
      Set<String> seen) {
    for (String next : edges.getOrDefault(at, Set.of())) {
      path.add(next);
      if (next.equals(start) || (seen.add(next) && cycleFrom(start, next, edges, path, seen))) {
        return true;
      }
      path.remove(path.size() - 1);
    }
    return false;
  }

  @Test
  void coldPackagesDoNotReachTheHotPath() throws IOException {
    Map<String, Set<String>> edges = graph();
    for (String cold :
        List.of("admin", "metrics", "tls", "demo", "transport", "resp", "insight", "reload")) {
      assertThat(edges.getOrDefault(cold, Set.of()))
          .as("%s imports", cold)
          .doesNotContain("session", "backend", "auth");
    }
  }

  @Test
  void theBackendKnowsNothingOfSessionsOrDiscovery() throws IOException {
    assertThat(graph().get("backend")).doesNotContain("session", "auth", "discovery", "admin");
    assertThat(graph().get("session")).doesNotContain("discovery", "admin");
  }
}
