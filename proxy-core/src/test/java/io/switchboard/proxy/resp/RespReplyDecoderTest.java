package io.switchboard.proxy.resp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RespReplyDecoderTest {

  /** One example of every RESP2 and RESP3 reply shape. */
  private static final List<String> REPLIES =
      List.of(
          "+OK\r\n",
          "-ERR wrong type\r\n",
          ":-42\r\n",
          "$3\r\nfoo\r\n",
          "$4\r\na\r\nb\r\n",
          "$0\r\n\r\n",
          "$-1\r\n",
          "*-1\r\n",
          "*0\r\n",
          "_\r\n",
          ",1.5\r\n",
          "#t\r\n",
          "(3492890328409238509324850943850943825024385\r\n",
          "!21\r\nSYNTAX invalid syntax\r\n",
          "=15\r\ntxt:Some string\r\n",
          "%2\r\n+first\r\n:1\r\n+second\r\n*2\r\n:2\r\n:3\r\n",
          "~2\r\n:1\r\n:2\r\n",
          ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n",
          "|1\r\n+ttl\r\n:3600\r\n$5\r\nvalue\r\n",
          "*3\r\n*2\r\n:1\r\n*1\r\n%1\r\n+k\r\n~0\r\n$-1\r\n*0\r\n");

  private EmbeddedChannel channel = new EmbeddedChannel(new RespReplyDecoder());

  @AfterEach
  void release() {
    channel.finishAndReleaseAll();
  }

  @Test
  void everyReplyTypeIsOneFrame() {
    channel.writeInbound(Unpooled.copiedBuffer(String.join("", REPLIES), ISO_8859_1));
    assertThat(drain()).containsExactlyElementsOf(REPLIES);
  }

  @Test
  void repliesArrivingOneByteAtATimeFrameTheSame() {
    List<String> frames = new ArrayList<>();
    for (byte b : String.join("", REPLIES).getBytes(ISO_8859_1)) {
      channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
      frames.addAll(drain());
    }
    assertThat(frames).containsExactlyElementsOf(REPLIES);
  }

  @Test
  void aReplyNestedAnyDepthIsOneFrameAndTheNextReplyFramesAsUsual() {
    String deep = "*2\r\n" + "*1\r\n".repeat(20_000) + "%1\r\n:1\r\n:2\r\n:3\r\n";
    String attributed = "|1\r\n+ttl\r\n:5\r\n" + "*1\r\n".repeat(50) + "_\r\n";
    String input = deep + "+OK\r\n" + attributed + ">2\r\n+a\r\n+b\r\n" + ":7\r\n";
    List<String> expected = List.of(deep, "+OK\r\n", attributed, ">2\r\n+a\r\n+b\r\n", ":7\r\n");
    channel.writeInbound(Unpooled.copiedBuffer(input, ISO_8859_1));
    assertThat(drain()).containsExactlyElementsOf(expected);
    List<String> split = new ArrayList<>();
    byte[] bytes = input.getBytes(ISO_8859_1);
    for (int i = 0; i < bytes.length; i += 7) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(7, bytes.length - i)));
      split.addAll(drain());
    }
    assertThat(split).containsExactlyElementsOf(expected);
  }

  @Test
  void unknownTypeBytesAreProtocolErrors() {
    assertThatThrownBy(() -> channel.writeInbound(Unpooled.copiedBuffer("?x\r\n", ISO_8859_1)))
        .isInstanceOf(RespProtocolException.class);
  }

  @Test
  void framedRepliesParseIntoValues() {
    ByteBuf map = Unpooled.copiedBuffer(REPLIES.get(15), ISO_8859_1);
    assertThat(RespValue.parse(map)).isEqualTo(Map.of("first", 1L, "second", List.of(2L, 3L)));
    ByteBuf error = Unpooled.copiedBuffer(REPLIES.get(1), ISO_8859_1);
    assertThat(RespValue.parse(error)).isEqualTo(new RespValue.Error("ERR wrong type"));
  }

  private List<String> drain() {
    List<String> frames = new ArrayList<>();
    ByteBuf frame;
    while ((frame = channel.readInbound()) != null) {
      frames.add(frame.toString(ISO_8859_1));
      frame.release();
    }
    return frames;
  }
}
