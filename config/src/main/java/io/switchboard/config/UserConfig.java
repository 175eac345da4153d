package io.switchboard.config;

import java.util.Set;

/**
 * One named client user of the proxy (the proxy's own, like a Redis ACL user; the backends never
 * see it).
 *
 * @param passwordSha256 SHA-256 of the password, lower-case hex: only the digest is kept, whether
 *     the configuration gave the password or its digest
 * @param readOnly refuse commands that change data or the server
 * @param deny commands refused to this user, upper case, {@code NAME} or {@code CONTAINER|SUB}
 */
public record UserConfig(String name, String passwordSha256, boolean readOnly, Set<String> deny) {

  public UserConfig {
    deny = Set.copyOf(deny);
  }

  @Override
  public String toString() {
    return "UserConfig[name=" + name + ", readOnly=" + readOnly + ", deny=" + deny + "]";
  }
}
