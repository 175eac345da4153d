package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;

/**
 * The few shared connections one event loop keeps to one node for one database and protocol.
 * Sessions are spread over them round robin and then stay on the one they got, so the commands of a
 * session reach Redis in the order the client sent them.
 */
final class BackendPool {

  private final LoopBackends loop;
  private final HostAndPort node;
  private final int db;
  private final int protocol;
  private final BackendConnection[] connections;
  private int next;

  BackendPool(LoopBackends loop, HostAndPort node, int db, int protocol, int size) {
    this.loop = loop;
    this.node = node;
    this.db = db;
    this.protocol = protocol;
    this.connections = new BackendConnection[size];
  }

  BackendConnection pick() {
    int i = next;
    next = (next + 1) % connections.length;
    if (connections[i] == null) {
      connections[i] = new BackendConnection(loop, this);
    }
    return connections[i];
  }

  void retire() {
    for (BackendConnection connection : connections) {
      if (connection != null) {
        connection.retire();
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

  String describe() {
    return "primary " + node;
  }
}
