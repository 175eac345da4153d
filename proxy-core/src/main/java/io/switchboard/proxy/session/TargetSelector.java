package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.RoutingConfig.Consistency;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.CursorAffinity;
import io.switchboard.routing.KeySlots;
import io.switchboard.routing.ReadFloor;
import io.switchboard.routing.ReadPolicy;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.util.Objects;
import java.util.function.ToIntFunction;

/**
 * Which backend connection a session's command goes to, when it is sent: the primary's, or for a
 * read the node the listener's read policy, the session's read floor (read-your-writes) and cursor
 * affinity allow, chosen by the loop's {@link io.switchboard.routing.ReplicaChooser}. The choice of
 * node is routing's; this class turns it into a connection of the session's database, protocol and
 * login.
 */
final class TargetSelector {

  private final ClientSession session;
  private final SessionLoop loop;
  private ReadPolicy policy;
  private ReadFloor floor;
  private final CursorAffinity cursor = new CursorAffinity();

  /** For looking into a command again when it is sent (a SCAN cursor); reused. */
  private final ArgCursor scratch = new ArgCursor();

  /** Load on a node for this session's database and protocol: made once, not per read. */
  private final ToIntFunction<HostAndPort> load;

  private BackendConnection cachedPrimary;
  private Shard cachedShard;
  private int cachedGeneration;
  private int cachedDb;
  private int cachedProtocol;
  private boolean cachedTracking;

  TargetSelector(ClientSession session, SessionLoop loop, ListenerConfig listener) {
    this.session = session;
    this.loop = loop;
    this.policy = ReadPolicy.of(listener.readFrom(), listener.consistency());
    this.floor = new ReadFloor(listener.consistency() == Consistency.READ_YOUR_WRITES);
    this.load =
        node ->
            loop.pools()
                .load(node, session.db, session.protocol, session.tracking().usesTrackingPools());
  }

  /**
   * A reload changed the listener's read policy or consistency: the next read follows it. A floor
   * turned on starts at the session's next write.
   */
  void follow(ListenerConfig listener) {
    policy = ReadPolicy.of(listener.readFrom(), listener.consistency());
    boolean readYourWrites = listener.consistency() == Consistency.READ_YOUR_WRITES;
    if (readYourWrites != floor.enabled()) {
      floor = new ReadFloor(readYourWrites);
    }
  }

  ReadPolicy policy() {
    return policy;
  }

  /**
   * The shard the last {@link #target} call found by the command's keys (or a part's slot), with
   * several shards; null for a keyless or pinned command, or with one shard. The reply queue orders
   * by it: read right after {@code target}, so the keys are hashed once.
   */
  private Shard keyedShard;

  /** The connection for {@code command} now, or null when there is none (see {@link #noTarget}). */
  BackendConnection target(PendingCommand command) {
    keyedShard = null;
    return switch (command.route) {
      // A shared connection a retry was pinned to may have left with its node: route afresh.
      case PendingCommand.TO_PINNED -> pinned(command);
      case PendingCommand.TO_READ -> read(command);
      default -> primary(command);
    };
  }

  private BackendConnection pinned(PendingCommand command) {
    if (command.pinned().usable() || command.pinned().exclusive) {
      return command.pinned();
    }
    BackendConnection primary = primary(command);
    keyedShard = null; // sent like a pinned command: it waits for everything before it
    return primary;
  }

  /** See {@link #keyedShard}: the shard of the command {@link #target} was last asked about. */
  Shard keyedShard() {
    return keyedShard;
  }

  /**
   * The shard that holds the command's keys: the only one of a Sentinel deployment. In a cluster, a
   * part of a command run on every primary names its shard by a slot; other keyless commands go to
   * the first shard (cross-slot ones never get here: {@link ClusterCommands} splits or refuses
   * them).
   */
  private Shard shard(PendingCommand command) {
    Topology topology = loop.backend().topology().current();
    if (topology.shards().size() == 1) {
      return topology.only();
    }
    int slot = command.slot;
    if (slot >= 0) {
      keyedShard = topology.shardFor(slot);
      return keyedShard == null ? topology.only() : keyedShard;
    }
    ByteBuf request = command.frame();
    if (command.spec == null || request == null) {
      return topology.only();
    }
    keyedShard = KeySlots.shardOf(topology, command.spec, scratch.reset(request));
    return keyedShard == null ? topology.only() : keyedShard;
  }

  /**
   * The shard that holds a request's keys; the first shard for a keyless one (a Sentinel
   * deployment's only shard). Cross-slot requests never get here in cluster mode.
   */
  Shard shardOf(CommandSpec spec, ByteBuf request) {
    Topology topology = loop.backend().topology().current();
    if (topology.shards().size() == 1) {
      return topology.only();
    }
    Shard shard = KeySlots.shardOf(topology, spec, scratch.reset(request));
    return shard == null ? topology.only() : shard;
  }

  /**
   * The shard of the session's last write (where WAIT must count acknowledgements), or the first
   * shard before any write or once that node serves no shard.
   */
  Shard lastWriteShard() {
    Topology topology = loop.backend().topology().current();
    Shard shard = lastWriteNode == null ? null : topology.shardOf(lastWriteNode);
    return shard == null ? topology.only() : shard;
  }

  /** The slot of a request's keys, {@link KeySlots#KEYLESS} or {@link KeySlots#CROSS_SLOT}. */
  int slotOf(CommandSpec spec, ByteBuf request) {
    return KeySlots.of(spec, scratch.reset(request));
  }

  /** A connection to the primary of the command's shard. */
  BackendConnection primary(PendingCommand command) {
    return primary(shard(command));
  }

  /** A connection to {@code shard}'s primary for the session's database, protocol and login. */
  BackendConnection primary(Shard shard) {
    if (!shard.hasPrimary()) {
      return null;
    }
    int generation = loop.backend().topology().generation();
    if (cachedPrimary == null
        || cachedShard != shard
        || cachedGeneration != generation
        || cachedDb != session.db
        || cachedProtocol != session.protocol
        || cachedTracking != session.tracking().usesTrackingPools()
        || !Objects.equals(cachedPrimary.pool().login(), session.login)
        || !cachedPrimary.usable()) {
      BackendPool pool = pool(shard.primary());
      if (pool == null) {
        return null; // every user pool busy (auth.max-user-pools): noTarget says so
      }
      cachedPrimary = pool.pick();
      cachedShard = shard;
      cachedGeneration = generation;
      cachedDb = session.db;
      cachedProtocol = session.protocol;
      cachedTracking = session.tracking().usesTrackingPools();
    }
    return cachedPrimary;
  }

  /**
   * The pool of {@code node} for the session's database, protocol, key tracking and login; null
   * when every user pool is busy.
   */
  BackendPool pool(HostAndPort node) {
    return loop.pools()
        .pool(
            node,
            session.db,
            session.protocol,
            session.tracking().usesTrackingPools(),
            session.login);
  }

  private BackendConnection read(PendingCommand command) {
    Shard shard = shard(command);
    if (!policy.readsReplicas() || !shard.hasPrimary()) {
      return primary(shard);
    }
    ReplicationSnapshot replication = loop.backend().replication(); // one volatile read per read
    long now = loop.backend().clock().now();
    // Keeps the monitor polling fast while reads may use replicas, and wakes it if it slowed.
    loop.demand().needed(now, !loop.chooser().fresh(replication, shard, now));
    long readFloor =
        floor.floor(replication, shard.primary(), loop.backend().topology().slotsMovedAtNanos());
    if (command.spec.has(CommandSpec.CURSOR)
        && cursor.issued()
        && CursorAffinity.continues(command.spec, scratch.reset(command.request))) {
      return cursorTarget(shard);
    }
    // Stay on the connection already serving this session when it may serve the read: a pipeline
    // of reads (and reads between writes) then flows without waiting on the ordering barrier.
    BackendConnection last = session.replies().busyConnection(shard);
    if (last != null && last.usable() && sameDbProtocolAndLogin(last)) {
      BackendPool pool = last.pool();
      if (pool.primary()
          ? pool.node().equals(shard.primary()) && policy.primaryMayServe(readFloor >= 0)
          : loop.chooser().mayRead(shard, replication, pool.node(), readFloor, now)) {
        return rememberCursor(command, last);
      }
    }
    HostAndPort node = loop.chooser().pick(shard, replication, policy, readFloor, now, load);
    if (node == null || node.equals(shard.primary())) {
      if (node == null && !policy.primaryMayServe(readFloor >= 0)) {
        return null; // read-from = replica and none qualifies: a clear error, not the primary
      }
      return rememberCursor(command, primary(shard));
    }
    BackendPool replica = pool(node);
    if (replica != null && session.login != null && !replica.loginUsable()) {
      // Users live on each node: until this replica has taken the session's login, its reads go
      // to the primary (a first connection logs in meanwhile, unless the replica refused it).
      if (!replica.loginRefused()) {
        replica.warmUp();
      }
      replica = null;
    }
    return rememberCursor(command, replica == null ? primary(shard) : replica.pick());
  }

  private BackendConnection rememberCursor(PendingCommand command, BackendConnection target) {
    if (command.spec.has(CommandSpec.CURSOR) && target != null) {
      cursor.served(target.pool().node());
    }
    return target;
  }

  /** The cursor is only meaningful where it was issued, even if that node now lags. */
  private BackendConnection cursorTarget(Shard shard) {
    HostAndPort node = cursor.node(shard);
    if (node == null || node.equals(shard.primary())) {
      return primary(shard);
    }
    BackendPool pool = pool(node);
    return pool == null ? null : pool.pick();
  }

  private boolean sameDbProtocolAndLogin(BackendConnection connection) {
    return connection.pool().db() == session.db
        && connection.pool().protocol() == session.protocol
        && connection.pool().tracking() == session.tracking().usesTrackingPools()
        && Objects.equals(connection.pool().login(), session.login);
  }

  /** The node the session's last write was answered by, or null: where a WAIT belongs. */
  private HostAndPort lastWriteNode;

  /** A write of the session's was answered: its reads need a node that has it. */
  void wrote(BackendConnection answeredBy) {
    if (answeredBy != null) {
      lastWriteNode = answeredBy.pool().node();
    }
    if (floor.enabled()) {
      // The read clock is safe here: see ReadClock.
      floor.wrote(loop.backend().clock().now());
    }
  }

  /** RESET: iterations start over. */
  void forgetCursor() {
    cursor.forget();
  }

  /** Why a command has no connection to go to, as the client's error. */
  ByteBuf noTarget(PendingCommand command) {
    Topology topology = loop.backend().topology().current();
    if (session.login != null && topology.hasPrimary() && loop.pools().loginPoolsFull()) {
      return Replies.error(
          loop.backend().alloc(),
          "ERR Switchboard: every backend pool for Redis users on this event loop is in use;"
              + " raise auth.max-user-pools");
    }
    if (command.route == PendingCommand.TO_READ && topology.hasPrimary()) {
      return Replies.error(
          loop.backend().alloc(),
          "ERR Switchboard has no replica fit to serve reads (read-from = replica);"
              + " replicas must be up, synced and within routing.max-replica-lag");
    }
    return Replies.error(loop.backend().alloc(), noPrimaryText());
  }

  String noPrimaryText() {
    return "ERR Switchboard has no primary to send this to: "
        + loop.backend().topology().current().problem();
  }
}
