package io.switchboard.proxy.backend;

/**
 * Who a backend connection logs in as when not as the proxy's own user ({@code auth.mode = redis}):
 * a client's Redis ACL user and password, or {@link #UNAUTHENTICATED}, which sends no AUTH and so
 * runs as Redis's default user would for an unauthenticated client. The password is kept as sent
 * (ISO-8859-1 keeps every byte), for the handshakes of that user's connections.
 */
public record BackendLogin(String user, String password) {

  public static final BackendLogin UNAUTHENTICATED = new BackendLogin("default", null);

  boolean authenticates() {
    return password != null;
  }

  @Override
  public String toString() {
    return authenticates() ? user : "unauthenticated";
  }
}
