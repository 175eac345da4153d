package io.switchboard.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A framer fed one socket read of {@link #PIPELINE} frames per operation; subclasses say which
 * framer and what the read holds. JMH runs the inherited benchmark once per subclass.
 */
public abstract class FramerBenchmark extends NanosPerOperation {

  static final int PIPELINE = 16;

  private final Frames.Sink sink = new Frames.Sink();
  private EmbeddedChannel channel;
  private ByteBuf read;

  /** The framer under test, new for each trial. */
  abstract ChannelHandler framer();

  /** One read of {@link #PIPELINE} frames, after the subclass's parameters are set. */
  abstract ByteBuf read();

  @Setup
  public void setUp() {
    channel = new EmbeddedChannel(framer(), sink);
    read = read();
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
