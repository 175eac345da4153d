package io.switchboard.proxy.session;

import io.netty.channel.EventLoop;
import io.switchboard.config.LimitsConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The client sessions of one event loop: for CLIENT LIST and the admin's {@code /clients}, the
 * client timeouts, and a graceful shutdown. Read and changed on that loop only.
 */
public final class SessionRegistry {

  private final Set<ClientSession> sessions = Collections.newSetFromMap(new IdentityHashMap<>());

  void opened(ClientSession session) {
    sessions.add(session);
  }

  void closed(ClientSession session) {
    sessions.remove(session);
  }

  Collection<ClientSession> all() {
    return sessions;
  }

  /** Checks every second (or sooner, for short timeouts) for clients past a timeout. */
  void startTimeouts(EventLoop eventLoop, LimitsConfig limits) {
    long idle = limits.clientIdleTimeout().toNanos();
    long stalled = limits.stalledRequestTimeout().toNanos();
    if (idle == 0 && stalled == 0) {
      return;
    }
    long shortest =
        Math.min(idle == 0 ? Long.MAX_VALUE : idle, stalled == 0 ? Long.MAX_VALUE : stalled);
    long every = Math.max(50, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(shortest) / 4));
    eventLoop.scheduleAtFixedRate(
        () -> {
          long now = System.nanoTime();
          // A copy: closing a channel may remove its session from the set at once.
          for (ClientSession session : new ArrayList<>(sessions)) {
            session.closeIfTimedOut(now, idle, stalled);
          }
        },
        every,
        every,
        TimeUnit.MILLISECONDS);
  }

  /** Shutdown: stop reading from every client; returns the replies still due. */
  public int quiesce() {
    for (ClientSession session : sessions) {
      session.stopReading();
    }
    return pendingReplies();
  }

  /** Replies still due to this loop's clients. */
  public int pendingReplies() {
    int pending = 0;
    for (ClientSession session : sessions) {
      pending += session.pendingReplies();
    }
    return pending;
  }

  /** Shutdown: disconnects every client; returns how many there were. */
  public int closeAll() {
    int count = sessions.size();
    for (ClientSession session : new ArrayList<>(sessions)) {
      session.channel().close();
    }
    return count;
  }

  /** The sessions as {@code GET /clients} shows them. */
  public List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ClientSession session : sessions) {
      out.add(ClientInfo.describe(session));
    }
    return out;
  }
}
