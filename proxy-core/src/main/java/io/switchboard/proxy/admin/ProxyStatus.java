package io.switchboard.proxy.admin;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.discovery.ReplicationMonitor;
import io.switchboard.proxy.discovery.SentinelStatus;
import io.switchboard.proxy.discovery.SentinelWatcher;
import io.switchboard.proxy.metrics.BackendLoad;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's account of the deployment and of its own failovers: fed the topology and the ROLE
 * confirmations, it writes the one log line per change, counts failovers and held-write time in the
 * metrics, and answers the admin endpoint (readiness, {@code /topology}). Called from the Sentinel
 * thread, the monitor's loop and the admin thread, hence the synchronized history.
 */
public final class ProxyStatus implements AdminServer.AdminView {

  private static final Logger log = LoggerFactory.getLogger(ProxyStatus.class);

  /** Failovers kept for {@code /topology}. */
  private static final int HISTORY = 20;

  /** The primary must have answered ROLE this recently for the proxy to be ready. */
  private static final long READY_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What the server does for the admin actions. */
  public interface Lifecycle {
    boolean draining();

    /** Stops accepting clients; returns how many are connected. */
    int drain();

    /** Connected client sessions, gathered from every event loop. */
    List<Map<String, Object>> clients();

    /** Backend connections per node and role, from every event loop. */
    List<BackendLoad> backends();
  }

  private record Failover(
      Instant at, HostAndPort from, HostAndPort to, long configEpoch, Long writesHeldMillis) {}

  private final SwitchboardConfig config;
  private final ProxyMetrics metrics;
  private final AtomicReference<ReplicationSnapshot> replication;
  private final ReplicationMonitor monitor;
  private final SentinelWatcher sentinels;
  private final Lifecycle lifecycle;
  private final ArrayDeque<Failover> failovers = new ArrayDeque<>();
  private volatile Topology topology;
  private volatile Instant primarySince;
  private long writesHeldSinceNanos;

  public ProxyStatus(
      SwitchboardConfig config,
      ProxyMetrics metrics,
      AtomicReference<ReplicationSnapshot> replication,
      ReplicationMonitor monitor,
      SentinelWatcher sentinels,
      Lifecycle lifecycle,
      Topology initial) {
    this.lifecycle = lifecycle;
    this.config = config;
    this.metrics = metrics;
    this.replication = replication;
    this.monitor = monitor;
    this.sentinels = sentinels;
    this.topology = initial;
  }

  /** A new topology from the Sentinel watcher. */
  public synchronized void onTopology(Topology next) {
    Topology previous = topology;
    topology = next;
    metrics.replicasSeen(next.replicas());
    if (next.failoverUnderway() && writesHeldSinceNanos == 0) {
      writesHeldSinceNanos = System.nanoTime();
    }
    if (next.hasPrimary() && !next.primary().equals(previous.primary())) {
      primarySince = Instant.now();
      if (previous.hasPrimary()) {
        metrics.failover();
        if (failovers.size() == HISTORY) {
          failovers.pollFirst();
        }
        failovers.addLast(
            new Failover(
                primarySince, previous.primary(), next.primary(), next.configEpoch(), null));
        log.info(
            "Failover of '{}': primary {} -> {} (config epoch {})",
            next.masterName(),
            previous.primary(),
            next.primary(),
            next.configEpoch());
      }
    }
  }

  /** ROLE says the named primary is, or is no longer, a master. */
  public synchronized void onPrimaryRole(HostAndPort node, boolean master) {
    if (!master) {
      if (writesHeldSinceNanos == 0) {
        writesHeldSinceNanos = System.nanoTime();
      }
      log.warn("{} answers ROLE as a replica: writes wait for a new primary", node);
      return;
    }
    if (writesHeldSinceNanos == 0) {
      log.info("{} answers ROLE as master: writes go there", node);
      return;
    }
    long heldNanos = System.nanoTime() - writesHeldSinceNanos;
    writesHeldSinceNanos = 0;
    metrics.writesHeld(heldNanos);
    long heldMillis = TimeUnit.NANOSECONDS.toMillis(heldNanos);
    log.info("{} answers ROLE as master: writes go there, after {} ms held", node, heldMillis);
    Failover last = failovers.peekLast();
    if (last != null && last.to().equals(node) && last.writesHeldMillis() == null) {
      failovers.pollLast();
      failovers.addLast(
          new Failover(last.at(), last.from(), last.to(), last.configEpoch(), heldMillis));
    }
  }

  @Override
  public String notReadyReason() {
    if (lifecycle.draining()) {
      return "draining: no new clients are accepted";
    }
    Topology now = topology;
    if (!now.hasPrimary()) {
      return "no primary: " + now.problem();
    }
    if (now.degraded()) {
      return "no Sentinel reachable: " + now.problem();
    }
    if (!monitor.masterAnswered(now.primary(), READY_WITHIN_NANOS)) {
      return "the primary " + now.primary() + " has not answered ROLE as master within 1 s";
    }
    return null;
  }

  @Override
  public synchronized Map<String, Object> topology() {
    Topology now = topology;
    ReplicationSnapshot offsets = replication.get();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("master", now.masterName());
    if (now.hasPrimary()) {
      Map<String, Object> primary = new LinkedHashMap<>();
      primary.put("address", now.primary().toString());
      primary.put("since", String.valueOf(primarySince));
      primary.put("configEpoch", now.configEpoch());
      primary.put("confirmedByRole", monitor.masterAnswered(now.primary(), READY_WITHIN_NANOS));
      primary.put(
          "offset", now.primary().equals(offsets.primary()) ? offsets.primaryOffset() : null);
      out.put("primary", primary);
    } else {
      out.put("primary", null);
    }
    out.put("problem", now.problem());
    out.put("failoverUnderway", now.failoverUnderway());
    out.put(
        "writesHeldForMillis",
        writesHeldSinceNanos == 0
            ? 0
            : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writesHeldSinceNanos));
    List<Object> replicas = new ArrayList<>();
    for (HostAndPort node : now.replicas()) {
      ReplicaState state = offsets.replica(node);
      Map<String, Object> replica = new LinkedHashMap<>();
      replica.put("address", node.toString());
      replica.put("eligible", state != null && state.eligible());
      replica.put("notEligibleBecause", state == null ? "not polled yet" : state.problem());
      replica.put(
          "lagMillis",
          state == null || state.lagMillis() == Long.MAX_VALUE ? null : state.lagMillis());
      replica.put("offset", state == null ? null : state.offset());
      replicas.add(replica);
    }
    out.put("replicas", replicas);
    List<Object> sentinelList = new ArrayList<>();
    for (SentinelStatus sentinel : sentinels.status()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("address", sentinel.address().toString());
      entry.put("connected", sentinel.answering());
      entry.put("lastError", sentinel.lastError());
      entry.put("lastEvent", sentinel.lastEvent());
      entry.put(
          "lastEventAt",
          sentinel.lastEventAtMillis() == 0
              ? null
              : Instant.ofEpochMilli(sentinel.lastEventAtMillis()).toString());
      sentinelList.add(entry);
    }
    out.put("sentinels", sentinelList);
    List<Object> history = new ArrayList<>();
    for (Failover failover : failovers) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("at", failover.at().toString());
      entry.put("from", failover.from().toString());
      entry.put("to", failover.to().toString());
      entry.put("configEpoch", failover.configEpoch());
      entry.put("writesHeldMillis", failover.writesHeldMillis());
      history.add(entry);
    }
    out.put("failovers", history);
    return out;
  }

  @Override
  public List<Map<String, Object>> clients() {
    return lifecycle.clients();
  }

  @Override
  public AdminServer.Action drain() {
    int clients = lifecycle.drain();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", "draining");
    body.put("clients", clients);
    return new AdminServer.Action(202, body);
  }

  @Override
  public AdminServer.Action reconcile() {
    sentinels.reconcileNow();
    return new AdminServer.Action(202, Map.of("status", "asking the Sentinels"));
  }

  @Override
  public AdminServer.Action failover() {
    try {
      HostAndPort accepted = sentinels.requestFailover();
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("status", "failover started");
      body.put("sentinel", accepted.toString());
      return new AdminServer.Action(202, body);
    } catch (IllegalStateException e) {
      return new AdminServer.Action(502, Map.of("error", e.getMessage()));
    }
  }

  @Override
  public String metrics() {
    metrics.backends(lifecycle.backends());
    return metrics.scrape();
  }

  @Override
  public Object config() {
    return ConfigView.of(config);
  }
}
