package io.switchboard.proxy.session;

import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Start-up, before the proxy has learned any primary. A single Redis answers its first command as
 * soon as its port is open; the proxy needs a primary first. So commands that need a server wait,
 * as writes wait during a failover, until the first topology with a primary arrives or {@code
 * failover.hold-timeout} has passed since start-up. Then they run in order, or get the error that
 * names the problem; after that no command waits here again (a primary once known stays known).
 *
 * <p>Commands the proxy answers itself (PING, HELLO, AUTH, ...) do not wait unless a waiting
 * command came before them: a client library's connection check at start-up succeeds, and its
 * replies stay in order. One per event loop, used on its thread only.
 */
final class FirstPrimaryWait {

  private boolean pending;
  private final Set<ClientSession> waiting = Collections.newSetFromMap(new IdentityHashMap<>());

  FirstPrimaryWait(Topology initial) {
    this.pending = initial == null || !initial.hasPrimary();
  }

  /** Whether commands that need a server still wait for the first primary. */
  boolean pending() {
    return pending;
  }

  void add(ClientSession session) {
    waiting.add(session);
  }

  void remove(ClientSession session) {
    waiting.remove(session);
  }

  void onTopology(Topology next) {
    if (pending && next.hasPrimary()) {
      end();
    }
  }

  /** The wait is over (a primary, or the time ran out): every waiting session goes on. */
  void end() {
    if (!pending) {
      return;
    }
    pending = false;
    for (ClientSession session : new ArrayList<>(waiting)) {
      session.resumeHeld();
    }
    waiting.clear();
  }
}
