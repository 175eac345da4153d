package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;

/**
 * The few shared connections one event loop keeps to one node for one database and protocol.
 * Sessions are spread over them round robin and then stay on the one they got, so the commands of a
 * session reach Redis in the order the client sent them. Exclusive connections (transactions,
 * blocking commands, subscriptions) name their pool for its address but are not among its shared
 * ones.
 */
final class BackendPool {

  private final LoopBackends loop;
  private final HostAndPort node;
  private final int db;
  private final int protocol;
  private final boolean primary;
  private final BackendConnection[] connections;
  private int next;

  BackendPool(
      LoopBackends loop, HostAndPort node, int db, int protocol, boolean primary, int size) {
    this.loop = loop;
    this.node = node;
    this.db = db;
    this.protocol = protocol;
    this.primary = primary;
    this.connections = new BackendConnection[size];
  }

  BackendConnection pick() {
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

  HostAndPort node() {
    return node;
  }

  int db() {
    return db;
  }

  int protocol() {
    return protocol;
  }

  boolean primary() {
    return primary;
  }

  String describe() {
    return (primary ? "primary " : "replica ") + node;
  }
}
