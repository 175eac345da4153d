package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.SubscriptionSink;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's {@code CLIENT TRACKING ON BCAST} sessions (and the near cache's feed), grouped
 * by their prefix set: each group holds one connection per primary with {@code CLIENT TRACKING ON
 * BCAST PREFIX ...}, and hands every invalidation it hears to all the group's members. Every write
 * reaches a primary, so the primaries' broadcasts cover every key. A connection lost (a failover, a
 * reconnect) may have missed invalidations: the group's sessions get the null invalidation ("all
 * keys"), and the group connects again to whatever the topology names. Used on the loop's thread
 * only.
 */
final class BroadcastTracking {

  /** What a group tells: a tracking session (its client), or the near cache's feed. */
  interface Member {
    /** Whether it still listens. */
    boolean listening();

    /** An invalidation's keys as the server sent them: an array, or a null for every key. */
    void invalidated(ByteBuf payload);

    /** The group lost a connection: writes may have gone unheard meanwhile. */
    void invalidatedAll();
  }

  private static final Logger log = LoggerFactory.getLogger(BroadcastTracking.class);

  private final SessionLoop loop;
  private final Map<List<String>, Group> groups = new HashMap<>();

  BroadcastTracking(SessionLoop loop) {
    this.loop = loop;
  }

  /** {@code member} hears of writes to keys with one of {@code prefixes} ("": every key). */
  void join(Member member, List<String> prefixes) {
    Group group = groups.computeIfAbsent(sorted(prefixes), Group::new);
    group.members.add(member);
    group.connectAll();
  }

  /**
   * Gives {@code answer} null once the group of {@code prefixes} has its broadcast on at every
   * primary of the topology (at once if it has), or the server's error if one refused it.
   */
  void whenReady(List<String> prefixes, Consumer<String> answer) {
    Group group = groups.get(sorted(prefixes));
    if (group == null || group.ready()) {
      answer.accept(null);
    } else {
      group.waiting.add(answer);
    }
  }

  private static List<String> sorted(List<String> prefixes) {
    List<String> key = new ArrayList<>(prefixes);
    Collections.sort(key);
    return List.copyOf(key);
  }

  void leave(Member member, List<String> prefixes) {
    List<String> key = sorted(prefixes);
    Group group = groups.get(key);
    if (group != null && group.members.remove(member) && group.members.isEmpty()) {
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
    private final Set<Member> members = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<HostAndPort, BackendConnection> connections = new HashMap<>();

    /** Connections whose server confirmed the broadcast (its OK). */
    private final Set<BackendConnection> confirmed =
        Collections.newSetFromMap(new IdentityHashMap<>());

    /** Answers waiting for the group to be ready (CLIENT TRACKING ON BCAST's OK). */
    private final List<Consumer<String>> waiting = new ArrayList<>();

    private boolean reconnectScheduled;

    Group(List<String> prefixes) {
      this.prefixes = prefixes;
    }

    /** Every primary of the topology has the broadcast on. */
    boolean ready() {
      Topology topology = loop.backend().topology().current();
      if (!topology.hasPrimary()) {
        return false;
      }
      for (Shard shard : topology.shards()) {
        BackendConnection connection = connections.get(shard.primary());
        if (shard.hasPrimary() && (connection == null || !confirmed.contains(connection))) {
          return false;
        }
      }
      return true;
    }

    private void answerWaiting() {
      if (!waiting.isEmpty() && ready()) {
        answerWaiting(null);
      }
    }

    private void answerWaiting(String error) {
      List<Consumer<String>> answers = List.copyOf(waiting);
      waiting.clear();
      answers.forEach(answer -> answer.accept(error));
    }

    void connectAll() {
      if (members.isEmpty()) {
        return;
      }
      answerWaiting(); // a primary that left may have been all it waited for
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
        if (type == '>' && ReplyRecovery.startsWith(frame, InvalidationKeys.INVALIDATE_HEAD)) {
          ByteBuf payload =
              frame.slice(
                  frame.readerIndex() + InvalidationKeys.INVALIDATE_HEAD.length,
                  frame.readableBytes() - InvalidationKeys.INVALIDATE_HEAD.length);
          for (Member member : List.copyOf(members)) {
            if (member.listening()) {
              member.invalidated(payload.retainedSlice());
            }
          }
        } else if (type == '+') {
          confirmed.add(from);
          answerWaiting();
        } else if (type == '-' || type == '!') {
          String error = frame.toString(StandardCharsets.UTF_8).substring(1).trim();
          log.warn("{} refused CLIENT TRACKING BCAST: {}", from.pool().node(), error);
          answerWaiting(error);
        }
      } finally {
        frame.release();
      }
    }

    @Override
    public void onLost(BackendConnection connection, String reason) {
      confirmed.remove(connection);
      if (!connections.values().remove(connection)) {
        return;
      }
      loop.leases().release(connection);
      flushSessions();
      reconnectSoon();
    }

    private void flushSessions() {
      for (Member member : List.copyOf(members)) {
        if (member.listening()) {
          member.invalidatedAll();
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
