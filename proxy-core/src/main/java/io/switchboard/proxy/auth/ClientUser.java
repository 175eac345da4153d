package io.switchboard.proxy.auth;

import io.switchboard.config.Passwords;
import io.switchboard.config.UserConfig;
import io.switchboard.routing.CommandSpec;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/**
 * A user a client session runs as: the default user or one of {@code auth.users}, with what it may
 * run. Immutable and shared by every session of the user.
 */
public final class ClientUser {

  /** Commands a read-only user may not run beyond Redis's write and admin ones. */
  private static final Set<String> NOT_READ_ONLY =
      Set.of(
          "PUBLISH",
          "SPUBLISH",
          "EVAL",
          "EVALSHA",
          "FCALL",
          "SCRIPT|FLUSH",
          "SCRIPT|KILL",
          "FUNCTION|KILL");

  public final String name;

  /** SHA-256 of the password, or null when the user needs none. */
  private final byte[] digest;

  private final boolean readOnly;
  private final Set<String> deny;

  /** Whether {@link #refusal} can refuse anything: checked per command only when set. */
  public final boolean restricted;

  private ClientUser(String name, byte[] digest, boolean readOnly, Set<String> deny) {
    this.name = name;
    this.digest = digest;
    this.readOnly = readOnly;
    this.deny = deny;
    this.restricted = readOnly || !deny.isEmpty();
  }

  /** The default user: {@code auth.password} (empty: no password), unrestricted. */
  static ClientUser defaultUser(String password) {
    return new ClientUser(
        "default",
        password.isEmpty()
            ? null
            : Passwords.sha256(password.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        false,
        Set.of());
  }

  /** A user the proxy checks nothing for: the servers' own ACL does (auth.mode = redis). */
  public static ClientUser unrestricted(String name) {
    return new ClientUser(name, null, false, Set.of());
  }

  static ClientUser of(UserConfig config) {
    return new ClientUser(
        config.name(),
        HexFormat.of().parseHex(config.passwordSha256()),
        config.readOnly(),
        config.deny());
  }

  boolean needsPassword() {
    return digest != null;
  }

  /** Compares digests, so the time taken says nothing about the password's length or prefix. */
  boolean accepts(byte[] password) {
    return digest == null || MessageDigest.isEqual(digest, Passwords.sha256(password));
  }

  /**
   * Whether {@code command} is {@code CONTAINER|SUB} of a denied container, without a substring.
   */
  private boolean underDeniedContainer(String command) {
    for (String container : deny) {
      int length = container.length();
      if (command.length() > length
          && command.charAt(length) == '|'
          && command.startsWith(container)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Redis ACL's error when this user may not run {@code spec}, or null. Only for a {@link
   * #restricted} user.
   */
  public String refusal(CommandSpec spec) {
    String command = spec.name();
    boolean denied = deny.contains(command) || underDeniedContainer(command);
    boolean changes =
        readOnly
            && (spec.has(CommandSpec.WRITE)
                || spec.has(CommandSpec.ADMIN)
                || NOT_READ_ONLY.contains(command));
    if (denied || changes) {
      return "NOPERM this user has no permissions to run the '"
          + command.toLowerCase(Locale.ROOT)
          + "' command";
    }
    return null;
  }
}
