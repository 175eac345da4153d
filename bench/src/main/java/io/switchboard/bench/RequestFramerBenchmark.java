package io.switchboard.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.switchboard.proxy.resp.RespRequestDecoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The client-side framer on a read of 16 pipelined SETs, as the socket delivers it into a pooled
 * buffer: time and (with {@code -prof gc}) heap bytes per command framed.
 */
public class RequestFramerBenchmark extends NanosPerOperation {

  static final int PIPELINE = 16;

  @Param({"16", "1024"})
  int valueBytes;

  private EmbeddedChannel channel;
  private final Frames.Sink sink = new Frames.Sink();
  private ByteBuf read;

  @Setup
  public void setUp() {
    channel =
        new EmbeddedChannel(new RespRequestDecoder(512L << 20, 1 << 20, 64 << 10, 1L << 30), sink);
    read = Unpooled.buffer();
    String value = Frames.value(valueBytes);
    for (int i = 0; i < PIPELINE; i++) {
      ByteBuf command = Frames.command("SET", "key:" + (100_000 + i), value);
      read.writeBytes(command);
      command.release();
    }
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
