package io.switchboard.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JoinedWritesTest {

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final JoinedWrites writes = new JoinedWrites();

  /** A read buffer as the framers slice it: pooled and direct, like every socket read. */
  private final ByteBuf read =
      PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(ascii("+OK\r\n:1\r\n$2\r\nhi\r\n"));

  @AfterEach
  void release() {
    channel.finishAndReleaseAll();
    if (read.refCnt() > 0) {
      read.release();
    }
  }

  @Test
  void adjacentSlicesOfOneReadLeaveAsOneMessage() {
    writes.write(channel, read.retainedSlice(0, 5));
    writes.write(channel, read.retainedSlice(5, 4));
    writes.write(channel, read.retainedSlice(9, 8));
    assertThat(writes.pendingBytes()).isEqualTo(17);
    assertThat(written()).isEmpty(); // nothing reaches the channel before the run is handed over

    writes.writeRun(channel);

    assertThat(written()).containsExactly("+OK\r\n:1\r\n$2\r\nhi\r\n");
    assertThat(read.refCnt()).isEqualTo(1); // every slice's reference given back
  }

  @Test
  void aPieceFromElsewhereEndsTheRunAndKeepsTheOrder() {
    writes.write(channel, read.retainedSlice(0, 5));
    writes.write(channel, Unpooled.copiedBuffer("-ERR made here\r\n", StandardCharsets.US_ASCII));
    writes.write(channel, read.retainedSlice(5, 4));
    writes.write(channel, read.retainedSlice(13, 4)); // skips bytes: not adjacent
    writes.writeRun(channel);

    assertThat(written()).containsExactly("+OK\r\n", "-ERR made here\r\n", ":1\r\n", "hi\r\n");
    assertThat(read.refCnt()).isEqualTo(1);
  }

  @Test
  void aDiscardedRunGivesItsBuffersBack() {
    writes.write(channel, read.retainedSlice(0, 5));
    writes.write(channel, read.retainedSlice(5, 4));
    writes.discard();
    writes.writeRun(channel);

    assertThat(written()).isEmpty();
    assertThat(writes.pendingBytes()).isZero();
    assertThat(read.refCnt()).isEqualTo(1);
  }

  private List<String> written() {
    channel.flush();
    List<String> messages = new ArrayList<>();
    ByteBuf message;
    while ((message = channel.readOutbound()) != null) {
      messages.add(message.toString(StandardCharsets.US_ASCII));
      message.release();
    }
    return messages;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
