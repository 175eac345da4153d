package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.ListenerKey;
import io.switchboard.config.RoutingConfig;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.auth.AuthChecks;
import io.switchboard.proxy.backend.BackendConnector;
import io.switchboard.proxy.backend.BackendLoads;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BackendPools;
import io.switchboard.proxy.backend.CommandRecycler;
import io.switchboard.proxy.backend.ExclusiveLeases;
import io.switchboard.proxy.backend.LoopTopology;
import io.switchboard.proxy.backend.OutlierDetection;
import io.switchboard.proxy.backend.ReplicationDemand;
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.backend.SharedBudget;
import io.switchboard.proxy.insight.HotKeys;
import io.switchboard.proxy.insight.SharedInsight;
import io.switchboard.proxy.metrics.BackendLoad;
import io.switchboard.proxy.metrics.CommandStats;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.Balancer;
import io.switchboard.routing.ReplicaChooser;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Wires what one event loop runs for its client sessions: the backend side ({@link BackendLoop},
 * pools, exclusive leases), read balancing, scripts, the session registry and the wait for a first
 * primary. Each part does its own job; this class only builds them and tells them, in order, about
 * a new topology. Used on its loop's thread only.
 */
public final class SessionLoop {

  private final BackendLoop backend;
  private final boolean clusterMode;
  private final BackendPools pools;
  private final ExclusiveLeases leases;
  private final CommandRecycler recycler = new CommandRecycler();
  private final ReplicaChooser chooser;
  private final LoadedScripts scripts;
  private final SessionRegistry sessions = new SessionRegistry();
  private final FirstPrimaryWait firstPrimary;
  private final CommandStats stats;
  private final CommandInsight insight;
  private io.netty.util.concurrent.ScheduledFuture<?> hotKeyDecay;
  private final OutlierDetection outliers;
  private final ReplicationDemand demand;
  private final TrackingTable tracking;
  private final BroadcastTracking broadcast = new BroadcastTracking(this);

  /** auth.mode = redis: AUTH checked by the primary; else null. */
  private final AuthChecks authChecks;

  public SessionLoop(
      EventLoop eventLoop,
      SwitchboardConfig config,
      ServerFacts facts,
      ProxyMetrics metrics,
      SharedBudget exclusiveBudget,
      SharedBudget holdBudget,
      Supplier<ReplicationSnapshot> replication,
      ReplicationDemand demand,
      java.util.function.Consumer<HostAndPort> onPrimaryDoubt,
      ScriptCache scriptBodies,
      SharedInsight shared,
      Function<BackendLoop, BackendConnector> connector,
      Topology initial) {
    eventLoop.execute(metrics::ioThreadStarted);
    this.clusterMode = config.cluster().enabled();
    this.demand = demand;
    this.backend =
        new BackendLoop(
            eventLoop,
            config,
            facts,
            metrics,
            new LoopTopology(initial),
            holdBudget,
            replication,
            onPrimaryDoubt,
            this::resumePrimaries);
    backend.connector(connector.apply(backend));
    this.tracking =
        new TrackingTable(
            this, Math.max(1, config.limits().trackingTableMaxKeys() / loopsIn(eventLoop)));
    backend.invalidations(tracking);
    this.pools = new BackendPools(backend);
    this.leases = new ExclusiveLeases(backend, pools, exclusiveBudget);
    this.chooser =
        new ReplicaChooser(
            // Its own generator: used on this loop only, no shared or thread-bound state.
            Balancer.of(config.routing().balancing(), new SplittableRandom()),
            config.routing().outlierEjection(),
            replicaFreshness(config.routing()));
    this.scripts = new LoadedScripts(scriptBodies, config.routing().scriptCacheSize());
    this.stats = new CommandStats(metrics);
    this.insight = new CommandInsight(shared.slowLog(), shared.bigKeys(), metrics, config);
    this.outliers = new OutlierDetection(backend, pools, chooser);
    this.authChecks = pools.loginPoolsEnabled() ? new AuthChecks(backend) : null;
    this.firstPrimary = new FirstPrimaryWait(initial);
    if (firstPrimary.pending()) {
      eventLoop.schedule(
          () -> {
            firstPrimary.end();
            backend.flushes().flushAll();
          },
          config.failover().holdTimeout().toNanos(),
          TimeUnit.NANOSECONDS);
    }
  }

  /**
   * How old a replica's offsets may be for it to serve a read: a quarter of the lag bound, so the
   * bound holds within a quarter, but at least four fast polls (a busy loop may delay a poll).
   */
  static Duration replicaFreshness(RoutingConfig routing) {
    Duration quarter = routing.maxReplicaLag().dividedBy(4);
    Duration polls = routing.offsetPollInterval().multipliedBy(4);
    return quarter.compareTo(polls) > 0 ? quarter : polls;
  }

  /** How many event loops share {@code loop}'s group: proxy-wide limits are split among them. */
  private static int loopsIn(EventLoop loop) {
    return loop.parent() instanceof MultithreadEventExecutorGroup group ? group.executorCount() : 1;
  }

  /** The proxy's near cache, shared by every loop; null when no listener caches. */
  private NearCache nearCache;

  /**
   * Set once, before the first client: the proxy's near cache. With {@code feedHere}, this loop
   * holds the broadcast that keeps it true.
   */
  public void nearCache(NearCache cache, boolean feedHere) {
    this.nearCache = cache;
    if (feedHere) {
      NearCacheFeed feed = new NearCacheFeed(cache, broadcast, backend.config().cache().prefixes());
      backend.eventLoop().execute(feed::start);
    }
  }

  NearCache nearCache() {
    return nearCache;
  }

  /** CLIENT TRACKING BCAST sessions, by prefix set. */
  BroadcastTracking broadcast() {
    return broadcast;
  }

  /** Which session read which key where, for CLIENT TRACKING. */
  TrackingTable tracking() {
    return tracking;
  }

  /** Where sessions say that they read from replicas, for the replication monitor's pace. */
  ReplicationDemand demand() {
    return demand;
  }

  /** Whether the proxy fronts a Redis Cluster (cluster.nodes set), not a Sentinel primary. */
  boolean clusterMode() {
    return clusterMode;
  }

  public BackendLoop backend() {
    return backend;
  }

  BackendPools pools() {
    return pools;
  }

  ExclusiveLeases leases() {
    return leases;
  }

  CommandRecycler recycler() {
    return recycler;
  }

  ReplicaChooser chooser() {
    return chooser;
  }

  LoadedScripts scripts() {
    return scripts;
  }

  public SessionRegistry sessions() {
    return sessions;
  }

  FirstPrimaryWait firstPrimary() {
    return firstPrimary;
  }

  CommandStats stats() {
    return stats;
  }

  CommandInsight insight() {
    return insight;
  }

  /** This loop's hot keys, read on the loop (for /hotkeys and the metric). */
  public List<HotKeys.Count> hotKeys() {
    return insight.hotKeys().snapshot();
  }

  /** Halves the hot key counts every hotkeys.window; again after a reload. */
  private void scheduleHotKeyDecay(Duration window) {
    if (hotKeyDecay != null) {
      hotKeyDecay.cancel(false);
    }
    long every = window.toMillis();
    hotKeyDecay =
        eventLoop()
            .scheduleAtFixedRate(insight.hotKeys()::decay, every, every, TimeUnit.MILLISECONDS);
  }

  AuthChecks authChecks() {
    return authChecks;
  }

  EventLoop eventLoop() {
    return backend.eventLoop();
  }

  /** Starts the loop's timers: outlier detection and client timeouts. */
  public void start() {
    outliers.start();
    sessions.startTimeouts(backend.eventLoop(), backend.config().limits());
    scheduleHotKeyDecay(backend.config().hotkeys().window());
  }

  /**
   * A reload: this loop acts on {@code next} from now on, one snapshot taken between events.
   * Sessions follow their listener's new routing, the new limits and the new users; a session whose
   * user is gone is closed, as Redis's ACL LOAD does. A removed listener's sessions keep their
   * settings while they drain.
   */
  public void reconfigure(SwitchboardConfig next) {
    if (!next.hotkeys().window().equals(backend.config().hotkeys().window())) {
      scheduleHotKeyDecay(next.hotkeys().window());
    }
    backend.config(next);
    insight.configure(next);
    chooser.freshness(replicaFreshness(next.routing()));
    tracking.maxKeys(Math.max(1, next.limits().trackingTableMaxKeys() / loopsIn(eventLoop())));
    sessions.startTimeouts(eventLoop(), next.limits());
    Map<ListenerKey, ListenerConfig> listeners = ListenerKey.of(next.allListeners());
    for (ClientSession session : new ArrayList<>(sessions.all())) {
      ListenerConfig listener = listeners.get(session.listenerKey());
      if (listener != null) {
        session.reconfigure(listener, next.limits());
      }
      if (!session.reauthorize()) {
        session.channel().close();
      }
    }
  }

  /** Sends a command of the proxy's own to every replica, replies ignored (SCRIPT LOAD/FLUSH). */
  void broadcastToReplicas(ByteBuf request) {
    for (Shard shard : backend.topology().current().shards()) {
      for (HostAndPort replica : shard.replicas()) {
        pools
            .pool(replica, 0, 2)
            .pick()
            .sendInternal(request.retainedDuplicate(), ByteBuf::release);
      }
    }
    request.release();
  }

  /** This loop's backend connections per node and role (shared and held). */
  public List<BackendLoad> backendLoads() {
    return BackendLoads.of(pools, leases);
  }

  /** What the replication monitor's ROLE poll says about the named primary. */
  public void onPrimaryRole(HostAndPort node, boolean master) {
    backend.gate().onPrimaryRole(node, master);
  }

  /** A new topology: every part learns of it, in an order that keeps commands in order. */
  public void onTopology(Topology next) {
    backend.topology().replace(next);
    // First: what the old primary's pools give back must find the gate closed for the new one.
    backend.gate().update();
    for (HostAndPort gone : pools.retireGone()) {
      scripts.forget(gone);
    }
    if (authChecks != null) {
      authChecks.connected(); // learns early whether Redis's default user needs a password
    }
    leases.retireGone();
    broadcast.followTopology();
    backend.gate().checkHeldAcks();
    firstPrimary.onTopology(next);
    backend.flushes().flushAll();
  }

  /** The write gate opened: held commands go to the primary. */
  private void resumePrimaries() {
    pools.resumePrimaries();
    if (authChecks != null) {
      authChecks.resume();
    }
    leases.forEachHeld(
        held -> {
          if (held.pool().primary()) {
            held.resume();
          }
        });
    backend.flushes().flushAll();
  }

  /**
   * Shutdown: releases what this loop holds outside any channel: held acknowledgements, and
   * commands waiting unsent for a backend (closing a connection fails those it holds).
   */
  public void releaseHeld() {
    backend.gate().releaseHeld();
    pools.closeAll();
    if (authChecks != null) {
      authChecks.close();
    }
    leases.closeAll();
  }
}
