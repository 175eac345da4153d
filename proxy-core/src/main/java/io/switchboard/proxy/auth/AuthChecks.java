package io.switchboard.proxy.auth;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendLogin;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.resp.Replies;
import java.util.function.Consumer;

/**
 * Checks a client's AUTH against the primary's own ACL ({@code auth.mode = redis}). The check is
 * Redis's own AUTH, sent on a connection of this loop's that carries nothing else, so whichever
 * user it last logged in as never runs a command. Its reply (OK, or Redis's WRONGPASS) is the
 * answer. Replaced when the primary changes. Used on the loop's thread only.
 */
public final class AuthChecks {

  private final BackendLoop loop;
  private BackendConnection connection;

  public AuthChecks(BackendLoop loop) {
    this.loop = loop;
  }

  /** {@code user} null: the one-argument form, the default user's password. */
  public void check(String user, byte[] password, Consumer<ByteBuf> onReply) {
    if (!connected()) {
      onReply.accept(
          Replies.error(
              loop.alloc(),
              "ERR Switchboard has no primary to check the password with: "
                  + loop.topology().current().problem()));
      return;
    }
    // The client's own form: AUTH <password> answers as Redis does when default has no password.
    ByteBuf request = loop.alloc().buffer(48 + password.length);
    Replies.writeHeader(request, '*', user == null ? 2 : 3);
    Replies.writeBulk(request, "AUTH");
    if (user != null) {
      Replies.writeBulk(request, user);
    }
    Replies.writeBulk(request, password);
    connection.sendInternal(request, onReply);
  }

  /**
   * Connects to the current primary if not yet there: at each new primary, so that its handshake,
   * which sends no AUTH, tells whether Redis's default user needs a password before a client asks.
   * False without a primary.
   */
  public boolean connected() {
    if (!loop.topology().current().hasPrimary()) {
      return false;
    }
    HostAndPort primary = loop.topology().current().primary();
    if (connection == null || !connection.usable() || !connection.pool().node().equals(primary)) {
      if (connection != null) {
        connection.close();
      }
      BackendPool own =
          new BackendPool(loop, primary, 0, 2, false, true, 0, BackendLogin.UNAUTHENTICATED);
      connection = new BackendConnection(loop, own, true);
      connection.purpose = "auth";
      connection.connectNow();
    }
    return true;
  }

  /** The write gate opened: a check held meanwhile goes out. */
  public void resume() {
    if (connection != null) {
      connection.resume();
    }
  }

  public void close() {
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }
}
