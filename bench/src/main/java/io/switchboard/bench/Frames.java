package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;

/** RESP bytes for the benchmarks, and a pipeline end that counts and releases frames. */
final class Frames {

  private Frames() {}

  /** {@code *n\r\n$len\r\narg\r\n...} for the given arguments. */
  static ByteBuf command(String... args) {
    StringBuilder out = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String arg : args) {
      out.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
    }
    return Unpooled.copiedBuffer(out, US_ASCII);
  }

  /**
   * Delivers {@code read} as the socket would: copied into a pooled direct buffer, then one read
   * and one read-complete through the channel's pipeline. Returns the frames counted so far.
   */
  static long feed(EmbeddedChannel channel, ByteBuf read, Sink sink) {
    ByteBuf socketRead = PooledByteBufAllocator.DEFAULT.directBuffer(read.readableBytes());
    socketRead.writeBytes(read, read.readerIndex(), read.readableBytes());
    ChannelPipeline pipeline = channel.pipeline();
    pipeline.fireChannelRead(socketRead);
    pipeline.fireChannelReadComplete();
    return sink.frames;
  }

  static String value(int bytes) {
    return "v".repeat(bytes);
  }

  /** Counts the frames a decoder emits and releases them, as a session does once it is done. */
  static final class Sink extends ChannelInboundHandlerAdapter {
    long frames;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      frames++;
      ((ByteBuf) msg).release();
    }
  }
}
