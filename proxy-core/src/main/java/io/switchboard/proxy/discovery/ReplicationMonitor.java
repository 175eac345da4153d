package io.switchboard.proxy.discovery;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.RoutingConfig;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.backend.ReplicationDemand;
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import io.switchboard.routing.LagTracker;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Polls {@code ROLE} on every shard's primary and on its replicas, over connections of its own on
 * one event loop, and publishes a {@link ReplicationSnapshot} to every loop: each primary's offset
 * (for read-your-writes) and, per replica, its applied offset, its lag behind its own primary and
 * whether it may serve reads. A Sentinel deployment is one shard, a cluster several. Also loads the
 * command table from a primary's {@code COMMAND} reply.
 *
 * <p>It polls every {@code routing.offset-poll-interval} while that matters ({@link #busy}):
 * sessions read from replicas ({@link ReplicationDemand}), the topology changed in the last {@link
 * #settlingNanos}, a failover is under way, or a primary is not yet confirmed by ROLE. Otherwise
 * every {@code routing.idle-poll-interval}: an idle proxy asks each node about once a second, and
 * the first replica read after a quiet spell wakes it (replicas serve no read from offsets that
 * old). Failover handling needs no fast polling before a failover begins: Sentinel's events and the
 * cluster's MOVED replies start it, and the topology change that follows makes polling fast.
 *
 * <p>A node whose poll has not come back within {@code routing.max-replica-lag} counts as not
 * answering, so a stopped or sleeping replica stops getting reads within that bound.
 */
public final class ReplicationMonitor {

  private final class Probe {
    final BackendConnection connection;
    long askedAtNanos;
    boolean waiting;
    // As a replica.
    String linkState = "unknown";
    long offset = -1;
    String error = "not polled yet";
    // As a primary.
    long primaryOffset = -1;
    long primaryAskedAtNanos;

    /** When the ROLE request behind its current state was asked ({@link Long#MIN_VALUE}: none). */
    long answeredAskAtNanos = Long.MIN_VALUE;

    LagTracker lag;

    /** What the role listener was last told about this node as a primary, or null. */
    Boolean reportedMaster;

    Probe(BackendConnection connection) {
      this.connection = connection;
    }

    /**
     * Primary offsets remembered for a few lag bounds: older lag only needs to read as "too much".
     */
    LagTracker lag() {
      if (lag == null) {
        lag = new LagTracker(lagWindowNanos());
      }
      return lag;
    }
  }

  private final BackendLoop home;
  private final AtomicReference<ReplicationSnapshot> published;
  private RoutingConfig routing;
  private final ServerFacts facts;
  private final Map<HostAndPort, Probe> probes = new HashMap<>();
  private final ReplicationDemand demand;

  /**
   * After a topology change, polls stay fast this long (ten idle intervals, 10 s by default): new
   * primaries confirmed, lag learnt again.
   */
  private final long settlingNanos;

  /** Fast polling goes on this long after the last replica read (one idle interval). */
  private final long demandNanos;

  private long topologyChangedAtNanos = System.nanoTime();

  /** Whether the next tick comes at the idle interval (a wake may bring it forward). */
  private boolean slowNow;

  private Topology topology;
  private HostAndPort commandsLoadedFrom;

  /** The connection a command table is being loaded over, or null. */
  private BackendConnection commandsConnection;

  private ScheduledFuture<?> task;
  private volatile boolean stopped;

  /** Told when ROLE shows a node named primary to be, or not to be, a master. */
  private final PrimaryRoleListener roleListener;

  /** When each primary last answered ROLE as master; read by the admin thread for readiness. */
  private final Map<HostAndPort, Long> lastMasterAtNanos = new ConcurrentHashMap<>();

  /** Receives, on the monitor's loop, each change of what ROLE says about a named primary. */
  public interface PrimaryRoleListener {
    void onPrimaryRole(HostAndPort node, boolean master);
  }

  public ReplicationMonitor(
      BackendLoop home,
      AtomicReference<ReplicationSnapshot> published,
      RoutingConfig routing,
      ServerFacts facts,
      ReplicationDemand demand,
      PrimaryRoleListener roleListener) {
    this.home = home;
    this.demand = demand;
    this.settlingNanos = routing.idlePollInterval().toNanos() * 10;
    this.demandNanos = routing.idlePollInterval().toNanos();
    this.roleListener = roleListener;
    this.published = published;
    this.routing = routing;
    this.facts = facts;
  }

  private long lagWindowNanos() {
    return routing.maxReplicaLag().toNanos() * 4;
  }

  /**
   * A reload's routing: its lag bounds apply from the next snapshot (the poll intervals need a
   * restart and come unchanged). Called on the monitor's loop.
   */
  public void routing(RoutingConfig next) {
    routing = next;
    for (Probe probe : probes.values()) {
      if (probe.lag != null) {
        probe.lag.window(lagWindowNanos());
      }
    }
  }

  public BackendLoop home() {
    return home;
  }

  public void start() {
    demand.onWake(() -> home.eventLoop().execute(this::wake));
    home.eventLoop().execute(this::tick);
  }

  /** A read found the offsets too old, or the topology changed: poll now, not at the idle pace. */
  private void wake() {
    demand.woken();
    pollNowIfSlow(); // when fast already, the next poll is at most one fast interval away
  }

  /**
   * Whether offsets matter now: replica reads in the last {@link #demandNanos}, a topology change
   * in the last {@link #settlingNanos}, a shard failing over or without a primary, or a primary not
   * yet confirmed by ROLE as master.
   */
  private boolean busy(long now) {
    if (now - demand.neededAtNanos() < demandNanos
        || now - topologyChangedAtNanos < settlingNanos) {
      return true;
    }
    for (Shard shard : topology.shards()) {
      if (shard.failoverUnderway() || !shard.hasPrimary()) {
        return true;
      }
      Probe probe = probes.get(shard.primary());
      if (probe == null || !Boolean.TRUE.equals(probe.reportedMaster)) {
        return true;
      }
    }
    return false;
  }

  private void scheduleNextTick() {
    if (stopped) {
      return;
    }
    slowNow = topology != null && !busy(System.nanoTime());
    demand.slow(slowNow);
    Duration every = slowNow ? routing.idlePollInterval() : routing.offsetPollInterval();
    task =
        home.eventLoop().schedule(this::tick, Math.max(1, every.toNanos()), TimeUnit.NANOSECONDS);
  }

  public void stop() {
    stopped = true;
    if (task != null) {
      task.cancel(false);
    }
    home.eventLoop()
        .execute(
            () -> {
              probes.values().forEach(p -> p.connection.close());
              if (commandsConnection != null) {
                commandsConnection.close();
              }
            });
  }

  /** Called on the home loop with each new topology. */
  public void onTopology(Topology next) {
    topology = next;
    topologyChangedAtNanos = System.nanoTime();
    for (Iterator<Map.Entry<HostAndPort, Probe>> it = probes.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<HostAndPort, Probe> entry = it.next();
      HostAndPort node = entry.getKey();
      if (!next.serves(node, true) && !next.serves(node, false)) {
        entry.getValue().connection.close();
        it.remove();
      } else if (!next.serves(node, true)) {
        // Not a primary now: its samples say nothing of its successor, and should it be named
        // primary again, its first ROLE as master must be reported anew.
        Probe probe = entry.getValue();
        probe.lag = null;
        probe.primaryOffset = -1;
        probe.reportedMaster = null;
      }
    }
    lastMasterAtNanos.keySet().removeIf(node -> !next.serves(node, true));
    if (commandsLoadedFrom == null || !next.serves(commandsLoadedFrom, true)) {
      for (Shard shard : next.shards()) {
        if (shard.hasPrimary()) {
          commandsLoadedFrom = shard.primary();
          loadCommandTable(shard.primary());
          break;
        }
      }
    }
    pollNowIfSlow(); // a new primary is confirmed by its first ROLE: ask now, not at the idle pace
  }

  /** Brings the next poll forward to now when it was due at the idle pace. */
  private void pollNowIfSlow() {
    if (!stopped && slowNow && task != null && task.cancel(false)) {
      tick();
    }
  }

  private void tick() {
    try {
      poll();
    } finally {
      scheduleNextTick();
    }
  }

  private void poll() {
    if (topology == null) {
      return;
    }
    boolean asked = false;
    for (Shard shard : topology.shards()) {
      if (!shard.hasPrimary()) {
        continue;
      }
      HostAndPort primary = shard.primary();
      Probe primaryProbe = probe(primary);
      if (!primaryProbe.waiting) {
        ask(primaryProbe, reply -> onPrimaryRole(primary, primaryProbe, reply));
      }
      for (HostAndPort replica : shard.replicas()) {
        Probe probe = probe(replica);
        if (!probe.waiting) {
          ask(probe, reply -> onReplicaRole(probe, reply));
        }
      }
      asked = true;
    }
    if (asked) {
      home.flushes().flushAll();
    }
  }

  private Probe probe(HostAndPort node) {
    return probes.computeIfAbsent(
        node, n -> new Probe(connectionOfItsOwn(n, topology.serves(n, true), "monitor")));
  }

  /**
   * A RESP2 connection of the monitor's, outside every pool, named {@code purpose} in the servers'
   * CLIENT LIST.
   */
  private BackendConnection connectionOfItsOwn(HostAndPort node, boolean primary, String purpose) {
    BackendPool descriptor = new BackendPool(home, node, 0, 2, false, primary, 1, null);
    BackendConnection connection = new BackendConnection(home, descriptor, false);
    connection.purpose = purpose;
    return connection;
  }

  private void ask(Probe probe, Consumer<Object> onValue) {
    probe.waiting = true;
    probe.askedAtNanos = System.nanoTime();
    probe.connection.sendInternal(
        Replies.command(home.alloc(), "ROLE"),
        reply -> {
          Object value;
          try {
            value = RespValue.parse(reply);
          } finally {
            reply.release();
          }
          probe.waiting = false;
          onValue.accept(value);
        });
  }

  private void onPrimaryRole(HostAndPort node, Probe probe, Object value) {
    if (value instanceof List<?> role && role.size() >= 2 && "master".equals(role.get(0))) {
      probe.primaryOffset = ((Number) role.get(1)).longValue();
      probe.primaryAskedAtNanos = probe.askedAtNanos;
      probe.lag().primaryOffset(probe.askedAtNanos, probe.primaryOffset);
      probe.error = null;
      if (topology.serves(node, true)) {
        lastMasterAtNanos.put(node, System.nanoTime());
      }
      report(node, probe, true);
    } else {
      probe.error = "primary ROLE answered " + value;
      if (value instanceof List<?>) {
        report(node, probe, false); // a replica (or a Sentinel): writes must not go there
      }
    }
    publish();
  }

  /** Tells the listener when a named primary's role changed from what it was last told. */
  private void report(HostAndPort node, Probe probe, boolean master) {
    if (stopped || Boolean.valueOf(master).equals(probe.reportedMaster)) {
      return;
    }
    if (!topology.serves(node, true)) {
      return; // an answer from before the last topology change
    }
    probe.reportedMaster = master;
    roleListener.onPrimaryRole(node, master);
  }

  /** Whether {@code node} answered ROLE as master within the last {@code withinNanos}. */
  public boolean masterAnswered(HostAndPort node, long withinNanos) {
    Long at = lastMasterAtNanos.get(node);
    return at != null && System.nanoTime() - at < withinNanos;
  }

  /** Reports {@code node}'s next ROLE answer even if unchanged: a loop has doubted it. */
  public void reconfirm(HostAndPort node) {
    Probe probe = probes.get(node);
    if (probe != null) {
      probe.reportedMaster = null;
    }
    pollNowIfSlow();
  }

  private void onReplicaRole(Probe probe, Object value) {
    if (value instanceof List<?> role && role.size() >= 5 && "slave".equals(role.get(0))) {
      probe.linkState = String.valueOf(role.get(3));
      probe.offset = ((Number) role.get(4)).longValue();
      probe.error = null;
      probe.answeredAskAtNanos = probe.askedAtNanos;
    } else if (value instanceof RespValue.Error error) {
      probe.error = "answers " + error.message();
    } else {
      probe.error = "is not a replica (ROLE " + value + ")";
    }
  }

  private void publish() {
    if (stopped) {
      return;
    }
    long now = System.nanoTime();
    List<ReplicationSnapshot.PrimaryOffset> primaries = new ArrayList<>();
    List<ReplicaState> states = new ArrayList<>();
    for (Shard shard : topology.shards()) {
      Probe primary = shard.hasPrimary() ? probes.get(shard.primary()) : null;
      if (primary == null) {
        continue;
      }
      if (primary.primaryOffset >= 0) {
        primaries.add(
            new ReplicationSnapshot.PrimaryOffset(
                shard.primary(), primary.primaryOffset, primary.primaryAskedAtNanos));
      }
      for (HostAndPort node : shard.replicas()) {
        Probe probe = probes.get(node);
        if (probe != null) {
          states.add(replicaState(node, probe, primary, now));
        }
      }
    }
    published.set(new ReplicationSnapshot(primaries, states));
  }

  private ReplicaState replicaState(HostAndPort node, Probe probe, Probe primary, long now) {
    long maxLagMillis = routing.maxReplicaLag().toMillis();
    long lagMillis = probe.offset < 0 ? Long.MAX_VALUE : primary.lag().lagMillis(now, probe.offset);
    long lagBytes = primary.primaryOffset - probe.offset;
    long silentMillis = probe.waiting ? (now - probe.askedAtNanos) / 1_000_000 : 0;
    String problem;
    if (silentMillis > maxLagMillis) {
      problem = "not answering for " + silentMillis + " ms";
    } else if (probe.error != null) {
      problem = probe.error;
    } else if (!"connected".equals(probe.linkState)) {
      problem = "link to the primary is " + probe.linkState;
    } else if (lagMillis > maxLagMillis) {
      problem = "lags " + lagMillis + " ms (routing.max-replica-lag " + maxLagMillis + " ms)";
    } else if (routing.maxReplicaLagBytes() > 0 && lagBytes > routing.maxReplicaLagBytes()) {
      problem = "lags " + lagBytes + " bytes (routing.max-replica-lag-bytes)";
    } else {
      problem = null;
    }
    return new ReplicaState(node, probe.offset, lagMillis, problem, probe.answeredAskAtNanos);
  }

  /**
   * Asks {@code primary} for its command table over a connection of its own, closed after the
   * reply. Not on the ROLE probe: the reply is about 90 KB, and a new primary's first ROLE, which
   * opens the write gate after a failover, waited behind it (60 to 300 ms in the failover report).
   */
  private void loadCommandTable(HostAndPort primary) {
    if (commandsConnection != null) {
      commandsConnection.close(); // from a primary replaced meanwhile
    }
    BackendConnection connection = connectionOfItsOwn(primary, true, "commands");
    commandsConnection = connection;
    connection.sendInternal(
        Replies.command(home.alloc(), "COMMAND"),
        (ByteBuf reply) -> {
          // An error too (the node went away; the hold timeout gave up): the next primary loads.
          connection.close();
          if (commandsConnection == connection) {
            commandsConnection = null;
          }
          // A large reply: parse it off the event loop, which must not stall its clients.
          byte[] bytes = ByteBufUtil.getBytes(reply);
          reply.release();
          CompletableFuture.runAsync(
              () -> {
                if (RespValue.parse(Unpooled.wrappedBuffer(bytes)) instanceof List<?> commands) {
                  facts.commandsFromServer(commands);
                }
              });
        });
    home.flushes().flushAll();
  }
}
