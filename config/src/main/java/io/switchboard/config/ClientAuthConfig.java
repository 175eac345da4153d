package io.switchboard.config;

import java.time.Duration;
import java.util.List;

/**
 * What clients must present to the proxy: the default user's password (Redis's requirepass) and
 * named users. With neither, every client is let in as the default user.
 *
 * @param password the default user's password; empty: the default user needs none, unless {@code
 *     users} is set, which turns the default user off (clients must name a user)
 * @param maxFailuresPerAddress failed attempts one IP address may make within {@code failureWindow}
 *     before its further attempts are refused unchecked
 */
public record ClientAuthConfig(
    String password, List<UserConfig> users, int maxFailuresPerAddress, Duration failureWindow) {

  public ClientAuthConfig {
    users = List.copyOf(users);
  }

  /** Whether a new connection starts unauthenticated. */
  public boolean required() {
    return !password.isEmpty() || !users.isEmpty();
  }

  /** Never prints the password; user records redact theirs. */
  @Override
  public String toString() {
    return "ClientAuthConfig[password="
        + (password.isEmpty() ? "" : "***")
        + ", users="
        + users
        + ", maxFailuresPerAddress="
        + maxFailuresPerAddress
        + ", failureWindow="
        + failureWindow
        + "]";
  }
}
