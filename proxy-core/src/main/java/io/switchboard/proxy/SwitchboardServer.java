package io.switchboard.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.admin.AdminServer;
import io.switchboard.proxy.admin.ProxyStatus;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BootstrapConnector;
import io.switchboard.proxy.backend.ReplicationDemand;
import io.switchboard.proxy.backend.ServerFacts;
import io.switchboard.proxy.backend.SharedBudget;
import io.switchboard.proxy.discovery.ClusterWatcher;
import io.switchboard.proxy.discovery.ReplicationMonitor;
import io.switchboard.proxy.discovery.SentinelWatcher;
import io.switchboard.proxy.discovery.TopologySource;
import io.switchboard.proxy.insight.HotKeys;
import io.switchboard.proxy.insight.SharedInsight;
import io.switchboard.proxy.metrics.BackendLoad;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.reload.ConfigFileWatch;
import io.switchboard.proxy.reload.ConfigReloader;
import io.switchboard.proxy.reload.LogLevels;
import io.switchboard.proxy.reload.ReloadPlan;
import io.switchboard.proxy.reload.ReloadResult;
import io.switchboard.proxy.session.ClientDirectory;
import io.switchboard.proxy.session.NearCache;
import io.switchboard.proxy.session.ScriptCache;
import io.switchboard.proxy.session.SessionLoop;
import io.switchboard.proxy.tls.ReloadingSslContext;
import io.switchboard.proxy.tls.TlsContexts;
import io.switchboard.proxy.transport.Transport;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy: a Netty server whose event loops each own their clients and the backend connections
 * those clients use, fed topology snapshots by a {@link TopologySource}: the {@link
 * SentinelWatcher} in Sentinel mode, the {@link ClusterWatcher} in cluster mode.
 */
public final class SwitchboardServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SwitchboardServer.class);

  private final SwitchboardConfig config;
  private final ClientAuth clientAuth;

  /** TLS for client ports with tls = true, or null when none has it. */
  private final ReloadingSslContext clientTls;

  /** TLS towards Redis nodes (redis.tls), or null. */
  private final ReloadingSslContext backendTls;

  /** Checks certificate and configuration files; null while nothing is checked. */
  private java.util.concurrent.ScheduledExecutorService fileChecks;

  private final Transport transport;
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final EveryLoop loops = new EveryLoop();
  private final ClientDirectory directory = new ClientDirectory();
  private final TopologySource discovery;
  private final ReplicationMonitor replication;
  private final ClientListeners listeners;
  private final ServerFacts facts;
  private final SharedBudget exclusiveBudget;
  private final ConfigReloader reloader;
  private final SharedInsight insight;

  /** The file of -Dconfig.file, watched for changes; null when none. */
  private final Path configFile;

  private final ProxyMetrics metrics;
  private final ProxyStatus status;
  private final AdminServer admin;
  private int adminPort = -1;
  private volatile boolean draining;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** A proxy with no configuration file: a reload is refused. */
  public SwitchboardServer(SwitchboardConfig config) {
    this(
        config,
        () -> {
          throw new InvalidConfigException("this proxy was not started from a configuration file");
        },
        null);
  }

  /**
   * @param source reads the configuration again as start-up did, for a reload (throws
   *     InvalidConfigException)
   * @param configFile the file {@code source} reads, watched for changes; null when none
   */
  public SwitchboardServer(
      SwitchboardConfig config, Supplier<SwitchboardConfig> source, Path configFile) {
    this.config = config;
    this.configFile = configFile;
    this.transport = Transport.choose(config.server().transport());
    int threads = config.server().eventLoops(Runtime.getRuntime().availableProcessors());
    this.group =
        new MultiThreadIoEventLoopGroup(
            threads, new DefaultThreadFactory("switchboard-io"), transport.ioHandlerFactory());
    // Non-blocking DNS: Sentinel may name nodes by hostname (Kubernetes pods), resolved at
    // every connect on the event loop, where a blocking lookup must never run.
    this.resolver =
        new DnsAddressResolverGroup(
            new DnsNameResolverBuilder().datagramChannelType(transport.datagramChannel()));
    Bootstrap backendTemplate =
        new Bootstrap()
            .channel(transport.socketChannel())
            .resolver(resolver)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, BackendLoop.ALLOCATOR)
            .option(ChannelOption.SO_KEEPALIVE, true)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) config.redis().connectTimeout().toMillis());
    try {
      this.facts = new ServerFacts(config.routing());
    } catch (IllegalArgumentException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new InvalidConfigException("switchboard.routing.deny: " + e.getMessage());
    }
    try {
      this.clientAuth = new ClientAuth(config.auth(), facts.commands());
      this.backendTls = TlsContexts.forBackends(config.redis().tls());
      this.clientTls = TlsContexts.forClients(config.tls());
    } catch (InvalidConfigException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
    SharedBudget budget = new SharedBudget(config.limits().maxExclusiveConnections());
    this.exclusiveBudget = budget;
    SharedBudget holdBudget = new SharedBudget(config.failover().holdBytes());
    ScriptCache scripts = new ScriptCache(config.routing().scriptCacheSize());
    this.insight = SharedInsight.of(config);
    AtomicReference<ReplicationSnapshot> replicationView =
        new AtomicReference<>(ReplicationSnapshot.NONE);
    ReplicationDemand replicationDemand = new ReplicationDemand();
    boolean cluster = config.cluster().enabled();
    Topology initial =
        cluster
            ? Topology.unknown("cluster", "still asking the cluster for its shards")
            : Topology.unknown(
                config.sentinel().master(), "still asking the Sentinels for the primary");
    this.metrics = new ProxyMetrics(replicationView, holdBudget::inUse, budget::inUse);
    BackendLoop home = null;
    NearCache nearCache =
        config.allListeners().stream().anyMatch(ListenerConfig::cache)
            ? new NearCache(config.cache(), metrics)
            : null;
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      SessionLoop backends =
          new SessionLoop(
              loop,
              config,
              facts,
              metrics,
              budget,
              holdBudget,
              replicationView::get,
              replicationDemand,
              this::doubtPrimary,
              scripts,
              insight,
              backend ->
                  new BootstrapConnector(backendTemplate.clone().group(loop), backendTls, backend),
              initial);
      loops.add(loop, backends);
      directory.add(backends);
      if (nearCache != null) {
        backends.nearCache(nearCache, home == null); // the first loop keeps it true
      }
      if (home == null) {
        home = backends.backend();
      }
    }
    this.replication =
        new ReplicationMonitor(
            home, replicationView, config.routing(), facts, replicationDemand, this::onPrimaryRole);
    this.discovery =
        cluster
            ? new ClusterWatcher(
                home, config.cluster().nodes(), config.cluster().refreshInterval(), this::publish)
            : new SentinelWatcher(config.sentinel(), this::publish);
    this.status =
        new ProxyStatus(
            config,
            metrics,
            replicationView,
            replication,
            discovery,
            new ProxyStatus.Lifecycle() {
              @Override
              public boolean draining() {
                return draining;
              }

              @Override
              public int drain() {
                return SwitchboardServer.this.drain();
              }

              @Override
              public List<Map<String, Object>> clients() {
                return describeClients();
              }

              @Override
              public List<BackendLoad> backends() {
                List<BackendLoad> all = new ArrayList<>();
                loops.collect(SessionLoop::backendLoads).forEach(all::addAll);
                return all;
              }

              @Override
              public SharedInsight insight() {
                return insight;
              }

              @Override
              public List<List<HotKeys.Count>> hotKeys() {
                return loops.collect(SessionLoop::hotKeys);
              }

              @Override
              public ReloadResult reload() {
                return reloader.reload("POST /admin/reload");
              }
            },
            initial);
    for (HostAndPort sentinel : config.sentinel().hosts()) {
      metrics.sentinel(
          sentinel,
          () ->
              discovery.status().stream()
                  .anyMatch(s -> s.address().equals(sentinel) && s.answering()));
    }
    this.admin = new AdminServer(config.admin(), status, transport);
    this.listeners = new ClientListeners(group, transport, loops, clientAuth, directory, clientTls);
    this.reloader =
        new ConfigReloader(
            config,
            source,
            new ConfigReloader.Target() {
              @Override
              public Runnable prepare(ReloadPlan plan) {
                return SwitchboardServer.this.prepare(plan);
              }

              @Override
              public boolean tlsReady() {
                return listeners.tlsReady();
              }
            },
            metrics);
  }

  /**
   * Checks a reload against what runs and binds its new ports; returns what applies the rest. The
   * shared parts (users, denied commands, budgets) switch first, then each loop takes the new
   * snapshot on its own thread, between events: commands already sent finish as they started.
   */
  private Runnable prepare(ReloadPlan plan) {
    SwitchboardConfig next = plan.running();
    try {
      facts.checkDeny(next.routing().deny());
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException("switchboard.routing.deny: " + e.getMessage());
    }
    Runnable users = clientAuth.prepare(next.auth(), facts.commands());
    List<ClientListeners.Bound> opened = listeners.bindNew(plan.added());
    return () -> {
      facts.deny(next.routing().deny());
      users.run();
      exclusiveBudget.limit(next.limits().maxExclusiveConnections());
      insight.configure(next);
      LogLevels.apply(next.server().logLevel());
      loops.execute(loop -> loop.reconfigure(next));
      replication.home().eventLoop().execute(() -> replication.routing(next.routing()));
      status.configLoaded(next);
      listeners.reconcile(opened, plan.removed().keySet(), next.server().shutdownTimeout());
    };
  }

  /** Reloads the configuration (SIGHUP); what {@code POST /admin/reload} does too. */
  public ReloadResult reload(String trigger) {
    return reloader.reload(trigger);
  }

  /**
   * Binds every client port and starts following Sentinel; returns the main port's bound number
   * (the others are in {@link #ports()}).
   */
  public int start() throws InterruptedException {
    LogLevels.apply(config.server().logLevel());
    listeners.start(config.allListeners());
    log.info(
        "Switchboard listening on {} ({} transport, event loops: {}), {}",
        listeners.describe(),
        transport.name(),
        loops.size(),
        config.cluster().enabled()
            ? "Redis Cluster from seeds " + config.cluster().nodes()
            : "master '"
                + config.sentinel().master()
                + "' via Sentinels "
                + config.sentinel().hosts());
    adminPort = admin.start();
    log.info(
        "Admin endpoint on {}:{}{}",
        config.admin().endpoint().host(),
        adminPort,
        config.admin().actionsEnabled() ? "" : " (actions disabled: no admin.token)");
    if (clientTls != null || config.redis().tls().enabled()) {
      log.info(
          "TLS through {}{}",
          TlsContexts.provider() == io.netty.handler.ssl.SslProvider.OPENSSL
              ? "BoringSSL (netty-tcnative)"
              : "the JDK's SSLEngine",
          config.redis().tls().enabled() ? "; to Redis nodes too" : "");
      long every = config.tls().reloadInterval().toMillis();
      if (every > 0) {
        fileChecks()
            .scheduleWithFixedDelay(this::reloadCertificates, every, every, TimeUnit.MILLISECONDS);
      }
    }
    long every = config.server().configReloadInterval().toMillis();
    if (configFile != null && every > 0) {
      fileChecks()
          .scheduleWithFixedDelay(
              new ConfigFileWatch(configFile, reloader), every, every, TimeUnit.MILLISECONDS);
    }
    replication.start();
    loops.forEach(SessionLoop::start);
    discovery.start();
    return ports().get(0);
  }

  /**
   * The thread that checks certificate and configuration files: reading files, building a TLS
   * context or reloading must not stall an event loop.
   */
  private java.util.concurrent.ScheduledExecutorService fileChecks() {
    if (fileChecks == null) {
      fileChecks =
          java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
              new DefaultThreadFactory("switchboard-file-checks", true));
    }
    return fileChecks;
  }

  /** Picks up rotated certificate files (tls.reload-interval), on its own thread. */
  private void reloadCertificates() {
    for (ReloadingSslContext tls : new ReloadingSslContext[] {clientTls, backendTls}) {
      if (tls != null) {
        tls.reloadIfChanged();
      }
    }
  }

  /** The admin endpoint's bound port (after {@link #start}). */
  public int adminPort() {
    return adminPort;
  }

  /** The bound port of each listener, the main one first. */
  public List<Integer> ports() {
    return listeners.ports();
  }

  /** ROLE says the named primary is (or is no longer) a master: every loop's write gate learns. */
  private void onPrimaryRole(HostAndPort node, boolean master) {
    status.onPrimaryRole(node, master);
    if (!master) {
      discovery.refreshNow();
    }
    loops.execute(loop -> loop.onPrimaryRole(node, master));
  }

  /**
   * Stops accepting clients (the listening sockets close; readiness answers 503 "draining"), for a
   * rolling restart: connected clients are still served. Returns how many are connected.
   */
  public int drain() {
    if (!draining) {
      draining = true;
      listeners.closeAll();
      log.info("Draining: no new clients are accepted");
    }
    return describeClients().size();
  }

  /**
   * What SIGTERM does: drain, stop reading from connected clients, give their commands in flight up
   * to {@code server.shutdown-timeout} to be answered, then disconnect them and stop.
   */
  public void shutdownGracefully() {
    drain();
    int clients =
        listeners.drainClients(port -> true, reloader.running().server().shutdownTimeout());
    log.info("Shut down: {} clients disconnected", clients);
    close();
  }

  /**
   * Every loop's sessions, each described on its own loop; a loop that does not answer in 2 s is
   * skipped.
   */
  private List<Map<String, Object>> describeClients() {
    List<Map<String, Object>> all = new ArrayList<>();
    loops.collect(loop -> loop.sessions().describe()).forEach(all::addAll);
    return all;
  }

  /**
   * A loop doubts what it knows: a READONLY reply from a primary, a MOVED, a failed connection. Ask
   * discovery and ROLE again now.
   */
  private void doubtPrimary(HostAndPort node) {
    discovery.refreshNow();
    if (node != null) {
      replication.home().eventLoop().execute(() -> replication.reconfirm(node));
    }
  }

  private void publish(Topology topology) {
    status.onTopology(topology);
    loops.execute(loop -> loop.onTopology(topology));
    replication.home().eventLoop().execute(() -> replication.onTopology(topology));
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    listeners.closeAll();
    admin.close();
    discovery.close();
    replication.stop();
    loops.collect(
        loop -> {
          loop.releaseHeld();
          return true;
        });
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolver.close();
    if (fileChecks != null) {
      fileChecks.shutdownNow();
    }
  }
}
