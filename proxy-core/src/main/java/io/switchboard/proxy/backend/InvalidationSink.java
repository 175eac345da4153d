package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;

/**
 * Takes what tracking connections ({@code CLIENT TRACKING ON}) hear about the keys read on them:
 * the server's invalidation push frames, and the end of the connection, after which the server
 * tracks nothing for it any more.
 */
public interface InvalidationSink {

  /** A push frame from {@code connection}, in order with its replies; the sink releases it. */
  void onPush(BackendConnection connection, ByteBuf push);

  /** The connection closed: the keys read on it are no longer tracked by the server. */
  void onLost(BackendConnection connection);

  /**
   * The server id of the connection that takes the invalidations of RESP2 tracking connections to
   * {@code node}; -1 while it is not ready yet, and {@code whenReady} runs once it is.
   */
  long redirectFor(HostAndPort node, Runnable whenReady);
}
