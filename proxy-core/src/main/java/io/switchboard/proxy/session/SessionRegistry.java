package io.switchboard.proxy.session;

import io.netty.channel.EventLoop;
import io.switchboard.config.LimitsConfig;
import io.switchboard.config.ListenerKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

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

  /** The timeout check running, or null when both timeouts are off. */
  private ScheduledFuture<?> timeouts;

  /**
   * Checks every second (or sooner, for short timeouts) for clients past a timeout; called again by
   * a reload, which replaces the check.
   */
  void startTimeouts(EventLoop eventLoop, LimitsConfig limits) {
    if (timeouts != null) {
      timeouts.cancel(false);
      timeouts = null;
    }
    long idle = limits.clientIdleTimeout().toNanos();
    long stalled = limits.stalledRequestTimeout().toNanos();
    if (idle == 0 && stalled == 0) {
      return;
    }
    long shortest =
        Math.min(idle == 0 ? Long.MAX_VALUE : idle, stalled == 0 ? Long.MAX_VALUE : stalled);
    long every = Math.max(50, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(shortest) / 4));
    timeouts =
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
    return quiesce(port -> true);
  }

  /**
   * Stop reading from the clients that connected to one of {@code ports} (all, at shutdown; a
   * removed listener's at a reload); returns the replies still due to them.
   */
  public int quiesce(Predicate<ListenerKey> ports) {
    for (ClientSession session : sessions) {
      if (ports.test(session.listenerKey())) {
        session.stopReading();
      }
    }
    return pendingReplies(ports);
  }

  /** Replies still due to this loop's clients. */
  public int pendingReplies() {
    return pendingReplies(port -> true);
  }

  /** Replies still due to this loop's clients of {@code ports}. */
  public int pendingReplies(Predicate<ListenerKey> ports) {
    int pending = 0;
    for (ClientSession session : sessions) {
      if (ports.test(session.listenerKey())) {
        pending += session.pendingReplies();
      }
    }
    return pending;
  }

  /** Shutdown: disconnects every client; returns how many there were. */
  public int closeAll() {
    return closeAll(port -> true);
  }

  /** Disconnects the clients of {@code ports}; returns how many there were. */
  public int closeAll(Predicate<ListenerKey> ports) {
    int count = 0;
    for (ClientSession session : new ArrayList<>(sessions)) {
      if (ports.test(session.listenerKey())) {
        session.channel().close();
        count++;
      }
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
