package io.switchboard.proxy.backend;

import io.switchboard.config.HostAndPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few shared connections one event loop keeps to one node for one database and protocol.
 * Sessions are spread over them round robin and then stay on the one they got, so the commands of a
 * session reach Redis in the order the client sent them. Exclusive connections (transactions,
 * blocking commands, subscriptions) name their pool for its address but are not among its shared
 * ones.
 */
public final class BackendPool {

  private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

  private final BackendLoop loop;
  private final HostAndPort node;
  private final int db;
  private final int protocol;
  private final boolean primary;

  /**
   * Its connections have {@code CLIENT TRACKING ON}: they carry the commands of sessions that track
   * keys (RESP3), and the server's invalidations for their reads come back on them.
   */
  private final boolean tracking;

  /** A primary's write gate (read per command); null for a replica. */
  private final WriteGate.Latch gate;

  private final BackendLogin login;
  private final BackendConnection[] connections;
  private int next;

  /** A connection of this pool logged in (its login works on this node). */
  private boolean loginConfirmed;

  /** This node refused the login: it serves none of that user's commands. */
  private boolean loginRefused;

  private long lastUsedNanos = System.nanoTime();

  public BackendPool(
      BackendLoop loop,
      HostAndPort node,
      int db,
      int protocol,
      boolean tracking,
      boolean primary,
      int size,
      BackendLogin login) {
    this.loop = loop;
    this.node = node;
    this.db = db;
    this.protocol = protocol;
    this.tracking = tracking;
    this.primary = primary;
    this.gate = primary ? loop.gate().latch(node) : null;
    this.login = login;
    this.connections = new BackendConnection[size];
  }

  /** Null: the proxy's own user. */
  public BackendLogin login() {
    return login;
  }

  void confirmLogin() {
    loginConfirmed = true;
    loginRefused = false;
  }

  /**
   * The node refused this pool's user (users live on each node and are not replicated). A replica
   * then serves none of that user's reads; the warning comes once per user and node.
   */
  void refuseLogin(String error) {
    loginRefused = true;
    loginConfirmed = false;
    if (loop.facts().firstLoginRefusal(login.user(), node)) {
      log.warn(
          "{} refused the login of Redis user '{}' ({}){}",
          describe(),
          login.user(),
          error,
          primary ? "" : "; its reads go to the primary");
    }
  }

  /** Whether this node is known to take this pool's login (a client's user, on a replica). */
  public boolean loginUsable() {
    return loginConfirmed && !loginRefused;
  }

  public boolean loginRefused() {
    return loginRefused;
  }

  long lastUsedNanos() {
    return lastUsedNanos;
  }

  /** Opens a connection that logs in, carrying nothing yet: to learn whether the node takes it. */
  public void warmUp() {
    if (connections[0] == null || !connections[0].usable()) {
      connections[0] = new BackendConnection(loop, this, false);
      connections[0].connectNow();
    }
  }

  public BackendConnection pick() {
    lastUsedNanos = loop.clock().now();
    int i = next;
    next = (next + 1) % connections.length;
    if (connections[i] == null || !connections[i].usable()) {
      connections[i] = new BackendConnection(loop, this, false);
    }
    return connections[i];
  }

  /** Requests sent or waiting on this pool's shared connections: the balancer's load measure. */
  int load() {
    int load = 0;
    for (BackendConnection connection : connections) {
      if (connection != null) {
        load += connection.load();
      }
    }
    return load;
  }

  void retire() {
    for (BackendConnection connection : connections) {
      if (connection != null) {
        connection.retire();
      }
    }
  }

  /** Calls {@code action} for each shared connection that exists. */
  void forEach(java.util.function.Consumer<BackendConnection> action) {
    for (BackendConnection connection : connections) {
      if (connection != null) {
        action.accept(connection);
      }
    }
  }

  public HostAndPort node() {
    return node;
  }

  public int db() {
    return db;
  }

  public int protocol() {
    return protocol;
  }

  public boolean primary() {
    return primary;
  }

  public boolean tracking() {
    return tracking;
  }

  /**
   * Whether commands may be sent here now: a replica's always, a primary's while its gate is open.
   */
  boolean writable() {
    return gate == null || gate.open;
  }

  String describe() {
    return (primary ? "primary " : "replica ") + node + (login == null ? "" : " as " + login);
  }
}
