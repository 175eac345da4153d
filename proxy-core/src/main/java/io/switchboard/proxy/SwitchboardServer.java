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
import io.switchboard.config.SwitchboardConfig;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.routing.CommandTable;
import io.switchboard.routing.SentinelWatcher;
import io.switchboard.routing.Topology;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
  private Channel serverChannel;

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
    ServerFacts facts = new ServerFacts();
    Topology initial =
        Topology.unknown(config.sentinel().master(), "still asking the Sentinels for the primary");
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      loops.put(
          loop,
          new LoopBackends(loop, config, facts, backendTemplate.clone().group(loop), initial));
    }
    this.sentinels = new SentinelWatcher(config.sentinel(), this::publish);
  }

  /** Binds the client port and starts following Sentinel; returns the bound port. */
  public int start() throws InterruptedException {
    CommandTable commands = CommandTable.builtIn();
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
                        .addLast(new ClientSession(loop, commands));
                  }
                });
    serverChannel =
        bootstrap
            .bind(new InetSocketAddress(config.listen().host(), config.listen().port()))
            .sync()
            .channel();
    int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    log.info(
        "Switchboard listening on {}:{} ({} transport, {} event loops), master '{}' via Sentinels {}",
        config.listen().host(),
        port,
        transport.name(),
        loops.size(),
        config.sentinel().master(),
        config.sentinel().hosts());
    sentinels.start();
    return port;
  }

  private void publish(Topology topology) {
    loops.forEach((executor, loop) -> executor.execute(() -> loop.onTopology(topology)));
  }

  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    sentinels.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    resolver.close();
  }
}
