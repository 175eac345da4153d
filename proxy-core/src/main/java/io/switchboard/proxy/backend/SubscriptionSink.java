package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;

/** Takes every frame a subscription connection reads: confirmations and published messages. */
public interface SubscriptionSink {

  /** A frame from {@code connection}; the sink owns (and must release) it. */
  void onFrame(BackendConnection connection, ByteBuf frame);

  /** The connection was lost; the subscriptions on it are gone. */
  void onLost(BackendConnection connection, String reason);
}
