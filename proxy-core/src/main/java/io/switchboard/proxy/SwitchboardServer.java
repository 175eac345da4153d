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
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.SentinelWatcher;
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
 * those clients use, fed topology snapshots by the {@link SentinelWatcher}.
 */
public final class SwitchboardServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SwitchboardServer.class);

  private final SwitchboardConfig config;
  private final Transport transport;
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  private final Map<EventExecutor, LoopBackends> loops = new IdentityHashMap<>();
  private final SentinelWatcher sentinels;
  private final ReplicationMonitor replication;
  private final List<Channel> serverChannels = new ArrayList<>();

  /** When writes started waiting for a failover (0: they are not), for the log line at the end. */
  private final java.util.concurrent.atomic.AtomicLong writesHeldSinceNanos =
      new java.util.concurrent.atomic.AtomicLong();

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
    SharedBudget budget = new SharedBudget(config.limits().maxExclusiveConnections());
    SharedBudget holdBudget = new SharedBudget(config.failover().holdBytes());
    ScriptCache scripts = new ScriptCache(config.routing().scriptCacheSize());
    AtomicReference<ReplicationSnapshot> replicationView =
        new AtomicReference<>(ReplicationSnapshot.NONE);
    Topology initial =
        Topology.unknown(config.sentinel().master(), "still asking the Sentinels for the primary");
    LoopBackends home = null;
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      LoopBackends backends =
          new LoopBackends(
              loop,
              config,
              facts,
              budget,
              holdBudget,
              this::doubtPrimary,
              scripts,
              replicationView,
              backendTemplate.clone().group(loop),
              initial);
      loops.put(loop, backends);
      if (home == null) {
        home = backends;
      }
    }
    this.replication =
        new ReplicationMonitor(home, replicationView, config.routing(), facts, this::onPrimaryRole);
    this.sentinels = new SentinelWatcher(config.sentinel(), this::publish);
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
        "Switchboard listening on {} ({} transport, {} event loops), master '{}' via Sentinels {}",
        describeListeners(),
        transport.name(),
        loops.size(),
        config.sentinel().master(),
        config.sentinel().hosts());
    replication.start();
    loops.values().forEach(LoopBackends::startOutlierDetection);
    sentinels.start();
    return ports().get(0);
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
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    LoopBackends loop = loops.get(ch.eventLoop());
                    var limits = config.limits();
                    ch.pipeline()
                        .addLast(
                            new RespRequestDecoder(
                                limits.maxBulkBytes(),
                                limits.maxMultibulk(),
                                limits.maxInlineBytes(),
                                limits.maxRequestBytes()))
                        .addLast(new ClientSession(loop, listener));
                  }
                });
    Endpoint endpoint = listener.endpoint();
    return bootstrap.bind(new InetSocketAddress(endpoint.host(), endpoint.port())).sync().channel();
  }

  /** ROLE says the named primary is (or is no longer) a master: every loop's write gate learns. */
  private void onPrimaryRole(HostAndPort node, boolean master) {
    if (master) {
      long since = writesHeldSinceNanos.getAndSet(0);
      if (since != 0) {
        log.info(
            "{} answers ROLE as master: writes go there, after {} ms held",
            node,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
      } else {
        log.info("{} answers ROLE as master: writes go there", node);
      }
    } else {
      writesHeldSinceNanos.compareAndSet(0, System.nanoTime());
      log.warn("{} answers ROLE as a replica: writes wait for a new primary", node);
      sentinels.reconcileNow();
    }
    loops.forEach((executor, loop) -> executor.execute(() -> loop.onPrimaryRole(node, master)));
  }

  /** A loop saw a READONLY reply from the primary: ask Sentinel and ROLE again now. */
  private void doubtPrimary() {
    sentinels.reconcileNow();
    replication.home().eventLoop().execute(replication::reconfirm);
  }

  private void publish(Topology topology) {
    if (topology.failoverUnderway()) {
      writesHeldSinceNanos.compareAndSet(0, System.nanoTime());
    }
    loops.forEach((executor, loop) -> executor.execute(() -> loop.onTopology(topology)));
    replication.home().eventLoop().execute(() -> replication.onTopology(topology));
  }

  @Override
  public void close() {
    for (Channel channel : serverChannels) {
      channel.close().syncUninterruptibly();
    }
    sentinels.close();
    replication.stop();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolver.close();
  }
}
