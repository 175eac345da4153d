package io.switchboard.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Emits one frame after another; after a protocol error the stream is out of step, so everything
 * that follows is dropped rather than guessed at.
 */
abstract class FramingDecoder extends ByteToMessageDecoder {

  /** Returned by {@link #nextFrame} for input that was consumed but yields no frame. */
  static final ByteBuf SKIP = Unpooled.EMPTY_BUFFER;

  private final ReadClock clock;
  private boolean failed;

  FramingDecoder(ReadClock clock) {
    this.clock = clock;
  }

  /** Bytes arrived at {@code nanos} (the loop's clock), before any frame of them is emitted. */
  void bytesArrived(long nanos) {}

  @Override
  public final void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    boolean nested = clock.readStarted();
    try {
      bytesArrived(clock.now());
      super.channelRead(ctx, msg);
    } finally {
      clock.readEnded(nested);
    }
  }

  /** The next complete frame, {@link #SKIP}, or null when more bytes are needed. */
  abstract ByteBuf nextFrame(ChannelHandlerContext ctx, ByteBuf in);

  @Override
  protected final void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    try {
      while (in.isReadable()) {
        ByteBuf frame = nextFrame(ctx, in);
        if (frame == null) {
          return;
        }
        if (frame != SKIP) {
          out.add(frame);
        }
      }
    } catch (RespProtocolException e) {
      failed = true;
      in.skipBytes(in.readableBytes());
      throw e;
    }
  }
}
