package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/** Hands framed replies and channel events of one backend channel to its connection. */
public final class BackendHandler extends ChannelInboundHandlerAdapter {

  private final BackendConnection connection;
  private final FlushBatch flushes;

  public BackendHandler(BackendConnection connection, FlushBatch flushes) {
    this.connection = connection;
    this.flushes = flushes;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    connection.onActive(ctx.channel());
    flushes.flushAll();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    connection.onReply((ByteBuf) msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flushes.flushSoon();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connection.onInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.onError(cause);
  }
}
