package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.proxy.resp.RespReplyDecoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The backend-side framer on a read of 16 replies: {@code +OK}, a 16-byte bulk string, or an array
 * of 100 bulk strings (LRANGE). Time and heap bytes per reply framed.
 */
public class ReplyFramerBenchmark extends NanosPerOperation {

  static final int PIPELINE = 16;

  @Param({"ok", "bulk16", "array100"})
  String reply;

  private EmbeddedChannel channel;
  private final Frames.Sink sink = new Frames.Sink();
  private ByteBuf read;

  @Setup
  public void setUp() {
    channel = new EmbeddedChannel(new RespReplyDecoder(128), sink);
    String one =
        switch (reply) {
          case "ok" -> "+OK\r\n";
          case "bulk16" -> "$16\r\n" + Frames.value(16) + "\r\n";
          default -> "*100\r\n" + ("$16\r\n" + Frames.value(16) + "\r\n").repeat(100);
        };
    read = Unpooled.copiedBuffer(one.repeat(PIPELINE), US_ASCII);
  }

  @TearDown
  public void tearDown() {
    channel.finishAndReleaseAll();
    read.release();
  }

  @Benchmark
  @OperationsPerInvocation(PIPELINE)
  public long frame() {
    return Frames.feed(channel, read, sink);
  }
}
