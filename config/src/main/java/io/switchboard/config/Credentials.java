package io.switchboard.config;

/** A username (empty for the default user) and password (empty for none). */
public record Credentials(String username, String password) {

  public static final Credentials NONE = new Credentials("", "");

  public boolean hasPassword() {
    return !password.isEmpty();
  }

  /** Never prints the password, so a record that ends up in a log line leaks nothing. */
  @Override
  public String toString() {
    return "Credentials[username=" + username + ", password=" + (hasPassword() ? "***" : "") + "]";
  }
}
