package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

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
