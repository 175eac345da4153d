package io.switchboard.proxy.backend;

import io.netty.channel.ChannelFuture;
import io.switchboard.config.HostAndPort;

/**
 * Opens the channel that carries a backend connection, its pipeline ending in a {@link
 * BackendHandler} for that connection. One implementation over a Netty bootstrap; core tests open
 * embedded channels instead.
 */
public interface BackendConnector {

  ChannelFuture connect(HostAndPort node, BackendConnection connection);
}
