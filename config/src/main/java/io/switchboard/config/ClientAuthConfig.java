package io.switchboard.config;

import java.time.Duration;
import java.util.List;

/**
 * What clients must present to the proxy: the default user's password (Redis's requirepass) and
 * named users. With neither, every client is let in as the default user. With {@link Mode#REDIS}
 * the servers' own ACL users are checked and used instead.
 *
 * @param mode who checks clients' credentials
 * @param password the default user's password; empty: the default user needs none, unless {@code
 *     users} is set, which turns the default user off (clients must name a user)
 * @param maxFailuresPerAddress failed attempts one IP address may make within {@code failureWindow}
 *     before its further attempts are refused unchecked
 */
public record ClientAuthConfig(
    Mode mode,
    String password,
    List<UserConfig> users,
    int maxFailuresPerAddress,
    Duration failureWindow,
    int maxUserPools,
    Duration userPoolIdleTimeout) {

  /** Who checks what clients present. */
  public enum Mode {
    /** The proxy, against auth.password and auth.users; backends see the proxy's own user. */
    PROXY,
    /**
     * The primary's own ACL: AUTH is checked there, and a session's commands run on backend
     * connections logged in as its user, so Redis enforces every ACL rule itself.
     */
    REDIS
  }

  public ClientAuthConfig {
    users = List.copyOf(users);
  }

  /** Whether a new connection starts unauthenticated (in proxy mode; Redis decides in redis). */
  public boolean required() {
    return mode == Mode.PROXY && (!password.isEmpty() || !users.isEmpty());
  }

  /** Never prints the password; user records redact theirs. */
  @Override
  public String toString() {
    return "ClientAuthConfig[mode="
        + mode
        + ", password="
        + (password.isEmpty() ? "" : "***")
        + ", users="
        + users
        + ", maxFailuresPerAddress="
        + maxFailuresPerAddress
        + ", failureWindow="
        + failureWindow
        + ", maxUserPools="
        + maxUserPools
        + ", userPoolIdleTimeout="
        + userPoolIdleTimeout
        + "]";
  }
}
