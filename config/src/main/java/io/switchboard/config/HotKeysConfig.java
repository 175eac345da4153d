package io.switchboard.config;

import java.time.Duration;

/**
 * The approximate top keys by request rate.
 *
 * @param top keys shown at /hotkeys and as {@code switchboard_hot_key_requests}
 * @param window counts halve every window, so the top follows the current load
 * @param exportHashes show a hash of each key instead of its name, for keys that are sensitive
 */
public record HotKeysConfig(boolean enabled, int top, Duration window, boolean exportHashes) {

  /** How keys are shown: {@code hotkeys.export}. */
  public enum Export {
    NAMES,
    HASHES
  }
}
