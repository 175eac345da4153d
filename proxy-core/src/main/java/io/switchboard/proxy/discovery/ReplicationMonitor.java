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
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import io.switchboard.routing.LagTracker;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Polls {@code ROLE} on the primary and on every replica each {@code routing.offset-poll-interval},
 * over connections of its own on one event loop, and publishes a {@link ReplicationSnapshot} to
 * every loop: the primary's offset (for read-your-writes) and, per replica, its applied offset, its
 * lag and whether it may serve reads. Also loads the command table from each new primary's {@code
 * COMMAND} reply.
 *
 * <p>A node whose poll has not come back within {@code routing.max-replica-lag} counts as not
 * answering, so a stopped or sleeping replica stops getting reads within that bound.
 */
public final class ReplicationMonitor {

  private static final class Probe {
    final BackendConnection connection;
    long askedAtNanos;
    boolean waiting;
    // Replica results.
    String linkState = "unknown";
    long offset = -1;
    String error = "not polled yet";

    Probe(BackendConnection connection) {
      this.connection = connection;
    }
  }

  private final BackendLoop home;
  private final AtomicReference<ReplicationSnapshot> published;
  private final RoutingConfig routing;
  private final ServerFacts facts;
  private final LagTracker lag;
  private final Map<HostAndPort, Probe> probes = new HashMap<>();
  private Topology topology;
  private HostAndPort commandsLoadedFrom;
  private long primaryOffset = -1;
  private long primaryAskedAtNanos;
  private ScheduledFuture<?> task;
  private volatile boolean stopped;

  /** Told when ROLE shows a node named primary to be, or not to be, a master. */
  private final PrimaryRoleListener roleListener;

  private HostAndPort reportedNode;
  private boolean reportedMaster;

  // Read by the admin thread for readiness.
  private volatile HostAndPort lastMaster;
  private volatile long lastMasterAtNanos;

  /** Receives, on the monitor's loop, each change of what ROLE says about the named primary. */
  public interface PrimaryRoleListener {
    void onPrimaryRole(HostAndPort node, boolean master);
  }

  public ReplicationMonitor(
      BackendLoop home,
      AtomicReference<ReplicationSnapshot> published,
      RoutingConfig routing,
      ServerFacts facts,
      PrimaryRoleListener roleListener) {
    this.home = home;
    this.roleListener = roleListener;
    this.published = published;
    this.routing = routing;
    this.facts = facts;
    // Remember primary offsets for a few lag bounds: older lag only needs to read as "too much".
    this.lag = new LagTracker(routing.maxReplicaLag().toNanos() * 4);
  }

  public BackendLoop home() {
    return home;
  }

  public void start() {
    long every = Math.max(1, routing.offsetPollInterval().toMillis());
    task = home.eventLoop().scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  public void stop() {
    stopped = true;
    if (task != null) {
      task.cancel(false);
    }
    home.eventLoop().execute(() -> probes.values().forEach(p -> p.connection.close()));
  }

  /** Called on the home loop with each new topology. */
  public void onTopology(Topology next) {
    topology = next;
    for (Iterator<Map.Entry<HostAndPort, Probe>> it = probes.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<HostAndPort, Probe> entry = it.next();
      HostAndPort node = entry.getKey();
      if (!node.equals(next.primary()) && !next.replicas().contains(node)) {
        entry.getValue().connection.close();
        it.remove();
      }
    }
    if (next.primary() != null && !next.primary().equals(commandsLoadedFrom)) {
      commandsLoadedFrom = next.primary();
      primaryOffset = -1;
      loadCommandTable(next.primary());
    }
  }

  private void tick() {
    if (topology == null || topology.primary() == null) {
      return;
    }
    HostAndPort primary = topology.primary();
    Probe primaryProbe = probe(primary);
    if (!primaryProbe.waiting) {
      ask(primaryProbe, reply -> onPrimaryRole(primary, primaryProbe, reply));
    }
    for (HostAndPort replica : topology.replicas()) {
      Probe probe = probe(replica);
      if (!probe.waiting) {
        ask(probe, reply -> onReplicaRole(probe, reply));
      }
    }
    home.flushes().flushAll();
  }

  private Probe probe(HostAndPort node) {
    return probes.computeIfAbsent(
        node,
        n -> {
          BackendPool descriptor =
              new BackendPool(home, n, 0, 2, n.equals(topology.primary()), 1, null);
          BackendConnection connection = new BackendConnection(home, descriptor, false);
          connection.purpose = "monitor";
          return new Probe(connection);
        });
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
      primaryOffset = ((Number) role.get(1)).longValue();
      primaryAskedAtNanos = probe.askedAtNanos;
      lag.primaryOffset(probe.askedAtNanos, primaryOffset);
      probe.error = null;
      lastMaster = node;
      lastMasterAtNanos = System.nanoTime();
      report(node, true);
    } else {
      probe.error = "primary ROLE answered " + value;
      if (value instanceof List<?>) {
        report(node, false); // a replica (or a Sentinel): writes must not go there
      }
    }
    publish();
  }

  /** Tells the listener when the named primary's role changed from what it was last told. */
  private void report(HostAndPort node, boolean master) {
    if (stopped || (node.equals(reportedNode) && master == reportedMaster)) {
      return;
    }
    if (!node.equals(topology.primary())) {
      return; // an answer from before the last topology change
    }
    reportedNode = node;
    reportedMaster = master;
    roleListener.onPrimaryRole(node, master);
  }

  /** Whether {@code node} answered ROLE as master within the last {@code withinNanos}. */
  public boolean masterAnswered(HostAndPort node, long withinNanos) {
    return node.equals(lastMaster) && System.nanoTime() - lastMasterAtNanos < withinNanos;
  }

  /** Reports the next ROLE answer even if unchanged: a loop has doubted the primary. */
  public void reconfirm() {
    reportedNode = null;
  }

  private void onReplicaRole(Probe probe, Object value) {
    if (value instanceof List<?> role && role.size() >= 5 && "slave".equals(role.get(0))) {
      probe.linkState = String.valueOf(role.get(3));
      probe.offset = ((Number) role.get(4)).longValue();
      probe.error = null;
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
    long maxLagMillis = routing.maxReplicaLag().toMillis();
    List<ReplicaState> states = new ArrayList<>();
    for (HostAndPort node : topology.replicas()) {
      Probe probe = probes.get(node);
      if (probe == null) {
        continue;
      }
      long lagMillis = probe.offset < 0 ? Long.MAX_VALUE : lag.lagMillis(now, probe.offset);
      long lagBytes = primaryOffset - probe.offset;
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
      states.add(new ReplicaState(node, probe.offset, lagMillis, problem));
    }
    ReplicationSnapshot snapshot =
        new ReplicationSnapshot(topology.primary(), primaryOffset, primaryAskedAtNanos, states);
    published.set(snapshot);
  }

  private void loadCommandTable(HostAndPort primary) {
    BackendConnection connection = probe(primary).connection;
    connection.sendInternal(
        Replies.command(home.alloc(), "COMMAND"),
        (ByteBuf reply) -> {
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
