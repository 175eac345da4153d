package io.switchboard.proxy.admin;

import io.switchboard.config.HostAndPort;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.discovery.ReplicationMonitor;
import io.switchboard.proxy.discovery.SourceStatus;
import io.switchboard.proxy.discovery.TopologySource;
import io.switchboard.proxy.insight.HotKeyRanking;
import io.switchboard.proxy.insight.HotKeys;
import io.switchboard.proxy.insight.SharedInsight;
import io.switchboard.proxy.metrics.BackendLoad;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.reload.ReloadResult;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotRange;
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

  /**
   * The primary must have answered ROLE this recently for the proxy to be ready: a second, or three
   * idle polls (an idle proxy asks once per routing.idle-poll-interval).
   */
  private final long readyWithinNanos;

  /** What the server does for the admin actions. */
  public interface Lifecycle {
    boolean draining();

    /** Stops accepting clients; returns how many are connected. */
    int drain();

    /** Connected client sessions, gathered from every event loop. */
    List<Map<String, Object>> clients();

    /** Backend connections per node and role, from every event loop. */
    List<BackendLoad> backends();

    /** Reads the configuration again and applies what can change live. */
    ReloadResult reload();

    /** The slow log and the big keys. */
    SharedInsight insight();

    /** Each event loop's hot key table, read on its loop. */
    List<List<HotKeys.Count>> hotKeys();
  }

  private record Failover(
      Instant at, HostAndPort from, HostAndPort to, long configEpoch, Long writesHeldMillis) {}

  private final SwitchboardConfig config;
  private final ProxyMetrics metrics;
  private final AtomicReference<ReplicationSnapshot> replication;
  private final ReplicationMonitor monitor;
  private final TopologySource discovery;
  private final Lifecycle lifecycle;
  private final ArrayDeque<Failover> failovers = new ArrayDeque<>();

  /** What {@code GET /config} shows: the running configuration and when it was loaded. */
  private volatile SwitchboardConfig running;

  private volatile Instant loadedAt = Instant.now();
  private volatile Topology topology;
  private volatile Instant primarySince;
  private long writesHeldSinceNanos;

  public ProxyStatus(
      SwitchboardConfig config,
      ProxyMetrics metrics,
      AtomicReference<ReplicationSnapshot> replication,
      ReplicationMonitor monitor,
      TopologySource discovery,
      Lifecycle lifecycle,
      Topology initial) {
    this.lifecycle = lifecycle;
    this.config = config;
    this.readyWithinNanos =
        Math.max(TimeUnit.SECONDS.toNanos(1), 3 * config.routing().idlePollInterval().toNanos());
    this.metrics = metrics;
    this.replication = replication;
    this.monitor = monitor;
    this.discovery = discovery;
    this.topology = initial;
    this.running = config;
  }

  /** A reload applied: {@code /config} shows {@code next} from now on. */
  public void configLoaded(SwitchboardConfig next) {
    running = next;
    loadedAt = Instant.now();
  }

  /** A new topology from discovery. */
  public synchronized void onTopology(Topology next) {
    Topology previous = topology;
    topology = next;
    metrics.replicasSeen(allReplicas(next));
    metrics.shards(next);
    if (next.shards().stream().anyMatch(Shard::failoverUnderway) && writesHeldSinceNanos == 0) {
      writesHeldSinceNanos = System.nanoTime();
    }
    for (Shard shard : next.shards()) {
      Shard before =
          shard.slots().isEmpty() ? null : previous.shardFor(shard.slots().get(0).first());
      if (!shard.hasPrimary() || before == null || shard.primary().equals(before.primary())) {
        continue;
      }
      if (!before.hasPrimary()) {
        primarySince = Instant.now();
        continue;
      }
      if (next.serves(before.primary(), true)) {
        continue; // the slots moved to another shard (resharding), not a failover
      }
      primarySince = Instant.now();
      metrics.failover();
      if (failovers.size() == HISTORY) {
        failovers.pollFirst();
      }
      failovers.addLast(
          new Failover(primarySince, before.primary(), shard.primary(), shard.configEpoch(), null));
      log.info(
          "Failover of '{}': primary {} -> {} (config epoch {})",
          config.cluster().enabled() ? "slots " + ranges(shard) : shard.name(),
          before.primary(),
          shard.primary(),
          shard.configEpoch());
    }
  }

  private static List<HostAndPort> allReplicas(Topology topology) {
    List<HostAndPort> all = new ArrayList<>();
    topology.shards().forEach(shard -> all.addAll(shard.replicas()));
    return all;
  }

  private static List<String> ranges(Shard shard) {
    return shard.slots().stream().map(SlotRange::toString).toList();
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
    if (!config.cluster().enabled()) {
      if (!now.hasPrimary()) {
        return "no primary: " + now.problem();
      }
      if (now.degraded()) {
        return "no Sentinel reachable: " + now.problem();
      }
    } else if (now.problem() != null) {
      return "cluster: " + now.problem();
    }
    for (Shard shard : now.shards()) {
      String which = config.cluster().enabled() ? " of slots " + ranges(shard) : "";
      if (!shard.hasPrimary()) {
        return "no primary" + which;
      }
      if (!monitor.masterAnswered(shard.primary(), readyWithinNanos)) {
        return "the primary "
            + shard.primary()
            + which
            + " has not answered ROLE as master within 1 s";
      }
    }
    return null;
  }

  @Override
  public synchronized Map<String, Object> topology() {
    return config.cluster().enabled() ? clusterTopology() : sentinelTopology();
  }

  /** Cluster mode: every shard with its slots, primary and replicas, and the nodes asked. */
  private Map<String, Object> clusterTopology() {
    Topology now = topology;
    ReplicationSnapshot offsets = replication.get();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", "cluster");
    out.put("problem", now.problem());
    List<Object> shards = new ArrayList<>();
    for (Shard shard : now.shards()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("id", shard.name());
      entry.put("slots", ranges(shard));
      entry.put("failoverUnderway", shard.failoverUnderway());
      if (shard.hasPrimary()) {
        ReplicationSnapshot.PrimaryOffset offset = offsets.primary(shard.primary());
        Map<String, Object> primary = new LinkedHashMap<>();
        primary.put("address", shard.primary().toString());
        primary.put("confirmedByRole", monitor.masterAnswered(shard.primary(), readyWithinNanos));
        primary.put("offset", offset == null ? null : offset.offset());
        entry.put("primary", primary);
      } else {
        entry.put("primary", null);
      }
      entry.put("replicas", replicas(shard.replicas(), offsets));
      shards.add(entry);
    }
    out.put("shards", shards);
    out.put("clusterNodes", sources());
    out.put("failovers", history());
    return out;
  }

  private Map<String, Object> sentinelTopology() {
    Topology now = topology;
    ReplicationSnapshot offsets = replication.get();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("master", now.masterName());
    if (now.hasPrimary()) {
      Map<String, Object> primary = new LinkedHashMap<>();
      primary.put("address", now.primary().toString());
      primary.put("since", String.valueOf(primarySince));
      primary.put("configEpoch", now.configEpoch());
      primary.put("confirmedByRole", monitor.masterAnswered(now.primary(), readyWithinNanos));
      ReplicationSnapshot.PrimaryOffset offset = offsets.primary(now.primary());
      primary.put("offset", offset == null ? null : offset.offset());
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
    out.put("replicas", replicas(now.replicas(), offsets));
    out.put("sentinels", sources());
    out.put("failovers", history());
    return out;
  }

  private static List<Object> replicas(List<HostAndPort> nodes, ReplicationSnapshot offsets) {
    List<Object> replicas = new ArrayList<>();
    for (HostAndPort node : nodes) {
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
    return replicas;
  }

  private List<Object> sources() {
    List<Object> sources = new ArrayList<>();
    for (SourceStatus source : discovery.status()) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("address", source.address().toString());
      entry.put("connected", source.answering());
      entry.put("lastError", source.lastError());
      if (!config.cluster().enabled()) {
        entry.put("lastEvent", source.lastEvent());
        entry.put(
            "lastEventAt",
            source.lastEventAtMillis() == 0
                ? null
                : Instant.ofEpochMilli(source.lastEventAtMillis()).toString());
      }
      sources.add(entry);
    }
    return sources;
  }

  private List<Object> history() {
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
    return history;
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
    discovery.refreshNow();
    return new AdminServer.Action(
        202,
        Map.of(
            "status", "asking the " + discovery.kind() + (config.cluster().enabled() ? "" : "s")));
  }

  @Override
  public AdminServer.Action failover() {
    try {
      HostAndPort accepted = discovery.requestFailover();
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
    Map<String, Long> hot = new java.util.LinkedHashMap<>();
    rankedHotKeys().forEach(r -> hot.put(r.key(), r.requests()));
    metrics.hotKeys(hot);
    return metrics.scrape();
  }

  @Override
  @SuppressWarnings("unchecked") // a record's view is a map
  public Object config() {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("loaded-at", loadedAt.toString());
    out.putAll((Map<String, Object>) ConfigView.of(running));
    return out;
  }

  private List<HotKeyRanking.Ranked> rankedHotKeys() {
    SwitchboardConfig now = running;
    if (!now.hotkeys().enabled()) {
      return List.of();
    }
    return HotKeyRanking.top(
        lifecycle.hotKeys(), now.hotkeys().top(), now.hotkeys().exportHashes());
  }

  @Override
  public Object slowlog() {
    return InsightView.slowlog(lifecycle.insight().slowLog());
  }

  @Override
  public Object hotkeys() {
    return InsightView.hotkeys(running.hotkeys(), rankedHotKeys());
  }

  @Override
  public Object bigkeys() {
    return InsightView.bigkeys(running.bigkeys(), lifecycle.insight().bigKeys());
  }

  @Override
  public AdminServer.Action reload() {
    ReloadResult result = lifecycle.reload();
    return new AdminServer.Action(result.ok() ? 200 : 400, result.body());
  }
}
