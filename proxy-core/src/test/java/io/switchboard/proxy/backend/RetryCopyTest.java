package io.switchboard.proxy.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The request kept for a second sending is the request's own buffer, read through its bounds. */
class RetryCopyTest {

  private static final String GET = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";

  /** A client read holding two pipelined commands; the second is the one kept. */
  private final ByteBuf read =
      PooledByteBufAllocator.DEFAULT
          .directBuffer()
          .writeBytes((GET + GET).getBytes(StandardCharsets.US_ASCII));

  @AfterEach
  void release() {
    read.release();
  }

  @Test
  void theKeptRequestReadsWholeAfterTheChannelWroteAndReleasedIt() {
    ByteBuf request = read.retainedSlice(GET.length(), GET.length());
    PendingCommand command = PendingCommand.internal(request, reply -> {});
    command.keepRetryCopy();

    // What a channel does with a request it writes: reads it to the end, then releases it.
    request.skipBytes(request.readableBytes());
    request.release();

    assertThat(command.retryFrame().toString(StandardCharsets.US_ASCII)).isEqualTo(GET);
    ByteBuf again = command.retryRequest();
    assertThat(again.toString(StandardCharsets.US_ASCII)).isEqualTo(GET);
    again.release();
    assertThat(command.hasRetryCopy()).as("kept for another round").isTrue();

    ByteBuf taken = command.takeRetryCopy();
    assertThat(taken.toString(StandardCharsets.US_ASCII)).isEqualTo(GET);
    assertThat(command.hasRetryCopy()).isFalse();
    taken.release();
    assertThat(read.refCnt()).as("every reference given back").isEqualTo(1);
  }
}
