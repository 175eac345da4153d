package io.switchboard.proxy.backend;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.resp.ReadClock;
import io.switchboard.proxy.resp.RespReplyDecoder;
import io.switchboard.proxy.tls.ReloadingSslContext;
import io.switchboard.proxy.tls.TlsContexts;
import java.net.InetSocketAddress;

/**
 * Opens backend channels through a Netty bootstrap bound to one event loop: TLS when configured,
 * the reply framer, and the handler that hands replies to the connection. The address stays
 * unresolved until connect time, so a node's changed IP (a restarted Kubernetes pod) is found
 * again.
 */
public final class BootstrapConnector implements BackendConnector {

  private final Bootstrap bootstrap;
  private final ReloadingSslContext tls;
  private final FlushBatch flushes;
  private final ReadClock clock;

  /**
   * @param bootstrap bound to the loop
   * @param tls towards Redis nodes (redis.tls), or null
   * @param loop whose flush batch and clock the channels use
   */
  public BootstrapConnector(Bootstrap bootstrap, ReloadingSslContext tls, BackendLoop loop) {
    this.bootstrap = bootstrap;
    this.tls = tls;
    this.flushes = loop.flushes();
    this.clock = loop.clock();
  }

  @Override
  public ChannelFuture connect(HostAndPort node, BackendConnection connection) {
    return bootstrap
        .clone()
        .handler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                if (tls != null) {
                  ch.pipeline().addLast(TlsContexts.handlerFor(tls.get(), ch.alloc(), node));
                }
                ch.pipeline()
                    .addLast(new RespReplyDecoder(clock))
                    .addLast(new BackendHandler(connection, flushes));
              }
            })
        .connect(InetSocketAddress.createUnresolved(node.host(), node.port()));
  }
}
