package io.switchboard.proxy.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadClockTest {

  private final ReadClock clock = new ReadClock();
  private final List<Long> seen = new ArrayList<>();

  /** Records the clock as each frame of a read is handled, and lets time pass in between. */
  private final EmbeddedChannel channel =
      new EmbeddedChannel(
          new RespReplyDecoder(clock),
          new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              seen.add(clock.now());
              ReferenceCountUtil.release(msg);
              waitForTheClockToMove();
            }
          });

  @Test
  void everyFrameOfOneReadSeesTheTimeTheReadBegan() {
    long before = System.nanoTime();
    channel.writeInbound(bytes("+OK\r\n:1\r\n$2\r\nhi\r\n"));
    assertThat(seen).hasSize(3);
    assertThat(seen).containsOnly(seen.get(0));
    assertThat(seen.get(0)).isGreaterThanOrEqualTo(before);
  }

  @Test
  void eachReadTakesItsOwnTimeAndOutsideAReadTheClockRuns() {
    channel.writeInbound(bytes("+OK\r\n"));
    channel.writeInbound(bytes("+OK\r\n"));
    assertThat(seen.get(1)).isGreaterThan(seen.get(0));
    long outside = clock.now();
    waitForTheClockToMove();
    assertThat(clock.now()).isGreaterThan(outside);
  }

  @Test
  void aReadInsideAnotherLeavesTheOuterReadOpen() {
    EmbeddedChannel inner = new EmbeddedChannel(new RespReplyDecoder(clock));
    EmbeddedChannel outer =
        new EmbeddedChannel(
            new RespReplyDecoder(clock),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                inner.writeInbound(bytes("+INNER\r\n")); // as a test harness's node may answer
                seen.add(clock.now());
                waitForTheClockToMove();
                seen.add(clock.now());
              }
            });
    outer.writeInbound(bytes("+OUTER\r\n"));
    assertThat(seen).hasSize(2).containsOnly(seen.get(0));
    ReferenceCountUtil.release(inner.readInbound());
    inner.finishAndReleaseAll();
    outer.finishAndReleaseAll();
  }

  private static ByteBuf bytes(String text) {
    return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
  }

  private static void waitForTheClockToMove() {
    long start = System.nanoTime();
    while (System.nanoTime() - start < 1_000) {
      Thread.onSpinWait();
    }
  }
}
