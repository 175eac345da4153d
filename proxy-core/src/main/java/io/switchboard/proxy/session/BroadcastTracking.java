package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.SubscriptionSink;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.Shard;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's {@code CLIENT TRACKING ON BCAST} sessions, grouped by their prefix set: each
 * group holds one connection per primary with {@code CLIENT TRACKING ON BCAST PREFIX ...}, and
 * hands every invalidation it hears to all the group's sessions. Every write reaches a primary, so
 * the primaries' broadcasts cover every key. A connection lost (a failover, a reconnect) may have
 * missed invalidations: the group's sessions get the null invalidation ("all keys"), and the group
 * connects again to whatever the topology names. Used on the loop's thread only.
 */
final class BroadcastTracking {

  private static final Logger log = LoggerFactory.getLogger(BroadcastTracking.class);
  private static final byte[] FLUSH_PUSH =
      ">2\r\n$10\r\ninvalidate\r\n_\r\n".getBytes(StandardCharsets.US_ASCII);

  private final SessionLoop loop;
  private final Map<List<String>, Group> groups = new HashMap<>();

  BroadcastTracking(SessionLoop loop) {
    this.loop = loop;
  }

  /** The session hears of writes to keys with one of {@code prefixes} (none: every key). */
  void join(ClientSession session, List<String> prefixes) {
    List<String> key = new ArrayList<>(prefixes);
    Collections.sort(key);
    Group group = groups.computeIfAbsent(List.copyOf(key), Group::new);
    group.sessions.add(session);
    group.connectAll();
  }

  void leave(ClientSession session, List<String> prefixes) {
    List<String> key = new ArrayList<>(prefixes);
    Collections.sort(key);
    Group group = groups.get(key);
    if (group != null && group.sessions.remove(session) && group.sessions.isEmpty()) {
      groups.remove(key);
      group.close();
    }
  }

  /** The topology changed: groups connect to primaries they lack (a new shard). */
  void followTopology() {
    groups.values().forEach(Group::connectAll);
  }

  private final class Group implements SubscriptionSink {
    private final List<String> prefixes;
    private final Set<ClientSession> sessions = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<HostAndPort, BackendConnection> connections = new HashMap<>();
    private boolean reconnectScheduled;

    Group(List<String> prefixes) {
      this.prefixes = prefixes;
    }

    void connectAll() {
      if (sessions.isEmpty()) {
        return;
      }
      for (Shard shard : loop.backend().topology().current().shards()) {
        if (shard.hasPrimary() && !connections.containsKey(shard.primary())) {
          connect(shard.primary());
        }
      }
    }

    private void connect(HostAndPort primary) {
      BackendConnection connection = loop.leases().acquire(primary, 0, 3, null);
      if (connection == null) {
        log.warn(
            "No exclusive connection left (limits.max-exclusive-connections) for CLIENT TRACKING"
                + " BCAST on {}; retrying",
            primary);
        reconnectSoon();
        return;
      }
      connection.sink = this;
      connections.put(primary, connection);
      List<String> args = new ArrayList<>(List.of("CLIENT", "TRACKING", "ON", "BCAST"));
      for (String prefix : prefixes) {
        args.add("PREFIX");
        args.add(prefix);
      }
      ByteBuf request = loop.backend().alloc().buffer(64);
      Replies.writeHeader(request, '*', args.size());
      args.forEach(arg -> Replies.writeBulk(request, arg.getBytes(StandardCharsets.ISO_8859_1)));
      connection.sendInternal(request, ByteBuf::release); // its reply comes to onFrame
    }

    @Override
    public void onFrame(BackendConnection from, ByteBuf frame) {
      try {
        byte type = frame.getByte(frame.readerIndex());
        if (type == '>') {
          for (ClientSession session : sessions) {
            if (!session.isClosed() && session.tracking().delivers()) {
              session.replies().push(frame.retainedDuplicate());
            }
          }
        } else if (type == '-' || type == '!') {
          log.warn(
              "{} refused CLIENT TRACKING BCAST: {}",
              from.pool().node(),
              frame.toString(StandardCharsets.UTF_8).trim());
        }
      } finally {
        frame.release();
      }
    }

    @Override
    public void onLost(BackendConnection connection, String reason) {
      if (!connections.values().remove(connection)) {
        return;
      }
      loop.leases().release(connection);
      flushSessions();
      reconnectSoon();
    }

    private void flushSessions() {
      for (ClientSession session : sessions) {
        if (!session.isClosed() && session.tracking().delivers()) {
          session
              .replies()
              .push(loop.backend().alloc().buffer(FLUSH_PUSH.length).writeBytes(FLUSH_PUSH));
        }
      }
    }

    private void reconnectSoon() {
      if (reconnectScheduled) {
        return;
      }
      reconnectScheduled = true;
      loop.backend()
          .schedule(
              () -> {
                reconnectScheduled = false;
                connectAll();
              },
              100);
    }

    void close() {
      for (Iterator<BackendConnection> it = connections.values().iterator(); it.hasNext(); ) {
        BackendConnection connection = it.next();
        it.remove();
        loop.leases().release(connection);
      }
    }
  }
}
