package io.switchboard.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.switchboard.config.Endpoint;
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
import io.switchboard.proxy.metrics.BackendLoad;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.proxy.session.ClientDirectory;
import io.switchboard.proxy.session.ClientSession;
import io.switchboard.proxy.session.NearCache;
import io.switchboard.proxy.session.ScriptCache;
import io.switchboard.proxy.session.SessionLoop;
import io.switchboard.proxy.tls.ReloadingSslContext;
import io.switchboard.proxy.tls.TlsContexts;
import io.switchboard.proxy.transport.Transport;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Topology;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

  /** Checks certificate files for rotation; null without TLS or with tls.reload-interval = 0. */
  private java.util.concurrent.ScheduledExecutorService certificateReloads;

  private final Transport transport;
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final Map<EventExecutor, SessionLoop> loops = new IdentityHashMap<>();
  private final ClientDirectory directory = new ClientDirectory();
  private final TopologySource discovery;
  private final ReplicationMonitor replication;
  private final List<Channel> serverChannels = new ArrayList<>();
  private final ProxyMetrics metrics;
  private final ProxyStatus status;
  private final AdminServer admin;
  private int adminPort = -1;
  private volatile boolean draining;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  public SwitchboardServer(SwitchboardConfig config) {
    this.config = config;
    this.transport = Transport.choose(config.server().transport());
    int threads =
        config.server().ioThreads() == 0
            ? Runtime.getRuntime().availableProcessors()
            : config.server().ioThreads();
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
    ServerFacts facts;
    try {
      facts = new ServerFacts(config.routing());
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
    SharedBudget holdBudget = new SharedBudget(config.failover().holdBytes());
    ScriptCache scripts = new ScriptCache(config.routing().scriptCacheSize());
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
              flushes ->
                  new BootstrapConnector(backendTemplate.clone().group(loop), backendTls, flushes),
              initial);
      loops.put(loop, backends);
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
                fromEveryLoop(SessionLoop::backendLoads).forEach(all::addAll);
                return all;
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
  }

  /**
   * Binds every client port and starts following Sentinel; returns the main port's bound number
   * (the others are in {@link #ports()}).
   */
  public int start() throws InterruptedException {
    for (ListenerConfig listener : config.allListeners()) {
      serverChannels.add(bind(listener));
    }
    log.info(
        "Switchboard listening on {} ({} transport, {} event loops), {}",
        describeListeners(),
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
        // Its own thread: reading files and building a context must not stall an event loop.
        certificateReloads =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("switchboard-tls-reload", true));
        certificateReloads.scheduleWithFixedDelay(
            this::reloadCertificates, every, every, TimeUnit.MILLISECONDS);
      }
    }
    replication.start();
    loops.values().forEach(SessionLoop::start);
    discovery.start();
    return ports().get(0);
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
    List<Integer> ports = new ArrayList<>();
    for (Channel channel : serverChannels) {
      ports.add(((InetSocketAddress) channel.localAddress()).getPort());
    }
    return ports;
  }

  private String describeListeners() {
    List<String> parts = new ArrayList<>();
    List<ListenerConfig> listeners = config.allListeners();
    List<Integer> ports = ports();
    for (int i = 0; i < listeners.size(); i++) {
      ListenerConfig listener = listeners.get(i);
      parts.add(
          listener.endpoint().host()
              + ":"
              + ports.get(i)
              + " (read-from "
              + kebab(listener.readFrom())
              + ", "
              + kebab(listener.consistency())
              + (listener.tls() ? ", TLS" : "")
              + ")");
    }
    return String.join(", ", parts);
  }

  private static String kebab(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private Channel bind(ListenerConfig listener) throws InterruptedException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOCATOR, BackendLoop.ALLOCATOR)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    SessionLoop loop = loops.get(ch.eventLoop());
                    var limits = config.limits();
                    if (listener.tls()) {
                      ch.pipeline().addLast(clientTls.get().newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(
                            new RespRequestDecoder(
                                limits.maxBulkBytes(),
                                limits.maxMultibulk(),
                                limits.maxInlineBytes(),
                                limits.maxRequestBytes()))
                        .addLast(new ClientSession(loop, listener, clientAuth, directory));
                  }
                });
    Endpoint endpoint = listener.endpoint();
    return bootstrap.bind(new InetSocketAddress(endpoint.host(), endpoint.port())).sync().channel();
  }

  /** ROLE says the named primary is (or is no longer) a master: every loop's write gate learns. */
  private void onPrimaryRole(HostAndPort node, boolean master) {
    status.onPrimaryRole(node, master);
    if (!master) {
      discovery.refreshNow();
    }
    loops.forEach((executor, loop) -> executor.execute(() -> loop.onPrimaryRole(node, master)));
  }

  /**
   * Stops accepting clients (the listening sockets close; readiness answers 503 "draining"), for a
   * rolling restart: connected clients are still served. Returns how many are connected.
   */
  public int drain() {
    if (!draining) {
      draining = true;
      for (Channel channel : serverChannels) {
        channel.close().syncUninterruptibly();
      }
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
    long deadline = System.nanoTime() + config.server().shutdownTimeout().toNanos();
    int pending = onEveryLoop(loop -> loop.sessions().quiesce());
    while (pending > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      pending = onEveryLoop(loop -> loop.sessions().pendingReplies());
    }
    if (pending > 0) {
      log.warn("Shutting down with {} commands unanswered after server.shutdown-timeout", pending);
    }
    int clients = onEveryLoop(loop -> loop.sessions().closeAll());
    log.info("Shut down: {} clients disconnected", clients);
    close();
  }

  /** Runs {@code task} on every loop and sums the answers. */
  private int onEveryLoop(java.util.function.ToIntFunction<SessionLoop> task) {
    int sum = 0;
    for (int part : fromEveryLoop(task::applyAsInt)) {
      sum += part;
    }
    return sum;
  }

  /**
   * Runs {@code task} on every loop (their state is only read on its own thread) and collects the
   * answers; a loop that does not answer within 2 s is left out.
   */
  private <T> List<T> fromEveryLoop(java.util.function.Function<SessionLoop, T> task) {
    List<io.netty.util.concurrent.Future<T>> parts = new ArrayList<>();
    loops.forEach((executor, loop) -> parts.add(executor.submit(() -> task.apply(loop))));
    List<T> answers = new ArrayList<>();
    for (var part : parts) {
      if (part.awaitUninterruptibly(2, TimeUnit.SECONDS) && part.isSuccess()) {
        answers.add(part.getNow());
      }
    }
    return answers;
  }

  /**
   * Every loop's sessions, each described on its own loop; a loop that does not answer in 2 s is
   * skipped.
   */
  private List<Map<String, Object>> describeClients() {
    List<Map<String, Object>> all = new ArrayList<>();
    fromEveryLoop(loop -> loop.sessions().describe()).forEach(all::addAll);
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
    loops.forEach((executor, loop) -> executor.execute(() -> loop.onTopology(topology)));
    replication.home().eventLoop().execute(() -> replication.onTopology(topology));
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Channel channel : serverChannels) {
      channel.close().syncUninterruptibly();
    }
    serverChannels.clear();
    admin.close();
    discovery.close();
    replication.stop();
    fromEveryLoop(
        loop -> {
          loop.releaseHeld();
          return true;
        });
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolver.close();
    if (certificateReloads != null) {
      certificateReloads.shutdownNow();
    }
  }
}
