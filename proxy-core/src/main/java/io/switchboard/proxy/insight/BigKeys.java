package io.switchboard.proxy.insight;

import io.switchboard.config.BigKeysConfig;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Requests and replies of at least {@code bigkeys.threshold} bytes, the recent ones kept for {@code
 * /bigkeys}. Shared by every event loop; written only for a big one, so on the hot path it costs
 * one comparison of a size already known.
 */
public final class BigKeys {

  /**
   * One big request or reply.
   *
   * @param reply a reply (else a request)
   * @param key its first key, or "" for a keyless command
   * @param node the node that answered, or "" for a request
   */
  public record Entry(
      Instant at, boolean reply, String command, String key, long bytes, String node) {}

  private volatile long threshold;
  private volatile int maxLen;

  /** Newest first; guarded by this. */
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  public BigKeys(BigKeysConfig config) {
    configure(config);
  }

  public synchronized void configure(BigKeysConfig config) {
    threshold = config.threshold();
    maxLen = config.maxLen();
    while (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  /** Whether {@code bytes} is big enough to record. */
  public boolean big(long bytes) {
    return bytes >= threshold && maxLen > 0;
  }

  /** Whether anything is recorded (bigkeys.max-len above zero). */
  public boolean on() {
    return maxLen > 0;
  }

  public synchronized void add(Entry entry) {
    entries.addFirst(entry);
    if (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  public synchronized List<Entry> recent() {
    return new ArrayList<>(entries);
  }
}
