package io.switchboard.proxy.insight;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The event loops' hot key tables merged into one ranking, when {@code /hotkeys} is read. */
public final class HotKeyRanking {

  /** A key as shown (its name, or a hash of it) and its estimated recent requests. */
  public record Ranked(String key, long requests) {}

  private HotKeyRanking() {}

  /**
   * The keys of every loop's table, counts of one key summed over loops, hottest first, at most
   * {@code top}; with {@code hashes}, each key as the first 16 hex digits of its SHA-256.
   */
  public static List<Ranked> top(List<List<HotKeys.Count>> perLoop, int top, boolean hashes) {
    Map<String, Long> merged = new HashMap<>();
    for (List<HotKeys.Count> loop : perLoop) {
      for (HotKeys.Count count : loop) {
        merged.merge(
            new String(count.key(), StandardCharsets.ISO_8859_1), count.requests(), Long::sum);
      }
    }
    List<Ranked> ranked = new ArrayList<>();
    merged.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(
            e -> {
              byte[] key = e.getKey().getBytes(StandardCharsets.ISO_8859_1);
              ranked.add(
                  new Ranked(
                      hashes ? hash(key) : new String(key, StandardCharsets.UTF_8), e.getValue()));
            });
    return ranked;
  }

  private static String hash(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
