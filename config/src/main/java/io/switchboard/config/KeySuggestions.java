package io.switchboard.config;

import com.typesafe.config.Config;

/** Finds the known key nearest to a mistyped one, for a friendlier start-up error. */
final class KeySuggestions {

  private KeySuggestions() {}

  static String closest(String unknown, Config known, String prefix) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String key : known.entrySet().stream().map(e -> prefix + "." + e.getKey()).toList()) {
      int d = distance(unknown, key);
      if (d < bestDistance) {
        bestDistance = d;
        best = key;
      }
    }
    return bestDistance <= 3 ? best : null;
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
