package io.switchboard.proxy.resp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RespRequestDecoderTest {

  private EmbeddedChannel channel = decoder(1024, 4096);

  private static EmbeddedChannel decoder(long maxBulk, long maxRequest) {
    return new EmbeddedChannel(
        new RespRequestDecoder(new ReadClock(), maxBulk, 16, 64, maxRequest));
  }

  @AfterEach
  void release() {
    channel.finishAndReleaseAll();
  }

  @Test
  void eachCommandBecomesOneFrameWithItsExactBytes() {
    String get = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    String ping = "*1\r\n$4\r\nPING\r\n";
    assertThat(feed(get + ping)).containsExactly(get, ping);
  }

  @Test
  void commandsArrivingOneByteAtATimeFrameTheSame() {
    String set = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\nva\r\nl\0\u00ffe!!\r\n";
    String ping = "*1\r\n$4\r\nPING\r\n";
    assertThat(feedByteByByte(set + ping)).containsExactly(set, ping);
  }

  @Test
  void aLargeBulkInManyChunksIsOneFrame() {
    channel = decoder(1 << 20, 1 << 21);
    String value = "x".repeat(300_000);
    String command = "*2\r\n$4\r\nECHO\r\n$" + value.length() + "\r\n" + value + "\r\n";
    List<String> frames = new ArrayList<>();
    byte[] bytes = command.getBytes(ISO_8859_1);
    for (int i = 0; i < bytes.length; i += 1000) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, Math.min(1000, bytes.length - i)));
      drain(frames);
    }
    assertThat(frames).containsExactly(command);
  }

  @Test
  void inlineCommandsBecomeRespArrays() {
    assertThat(feed("SET k v\r\nPING\n"))
        .containsExactly("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "*1\r\n$4\r\nPING\r\n");
  }

  @Test
  void inlineQuotesAndEscapesFollowRedis() {
    assertThat(feed("SET \"a b\" 'it\\'s' \"\\x41\\n\"\r\n"))
        .containsExactly("*4\r\n$3\r\nSET\r\n$3\r\na b\r\n$4\r\nit's\r\n$2\r\nA\n\r\n");
  }

  @Test
  void blankLinesAndEmptyMultibulksAreSkipped() {
    assertThat(feed("\r\n  \r\n*0\r\n*-1\r\nPING\r\n")).containsExactly("*1\r\n$4\r\nPING\r\n");
  }

  @Test
  void protocolErrorsUseRedisWords() {
    assertProtocolError("*abc\r\n", "Protocol error: invalid multibulk length");
    assertProtocolError("*17\r\n", "Protocol error: invalid multibulk length");
    assertProtocolError("*1\r\n+PING\r\n", "Protocol error: expected '$', got '+'");
    assertProtocolError("*1\r\n$-5\r\n", "Protocol error: invalid bulk length");
    assertProtocolError("*1\r\n$1025\r\n", "Protocol error: invalid bulk length");
    assertProtocolError("*1\r\n$4\r\nPINGxx", "Protocol error: bulk string not terminated by CRLF");
    assertProtocolError("SET \"unbalanced\r\n", "Protocol error: unbalanced quotes in request");
    assertProtocolError("SET 'a'b\r\n", "Protocol error: unbalanced quotes in request");
    assertProtocolError("x".repeat(65), "Protocol error: too big inline request");
  }

  @Test
  void aWholeRequestOverTheLimitIsRefusedBeforeItArrives() {
    String arg = "$1000\r\n" + "y".repeat(1000) + "\r\n";
    assertProtocolError(
        "*5\r\n" + arg.repeat(4) + "$1000\r\n",
        "Protocol error: request larger than the proxy allows");
  }

  @Test
  void afterAnErrorFurtherInputIsDropped() {
    assertThatThrownBy(() -> channel.writeInbound(buf("*x\r\n")))
        .isInstanceOf(RespProtocolException.class);
    channel.writeInbound(buf("*1\r\n$4\r\nPING\r\n"));
    assertThat((Object) channel.readInbound()).isNull();
  }

  private void assertProtocolError(String input, String message) {
    channel.finishAndReleaseAll();
    channel = decoder(1024, 4096);
    assertThatThrownBy(() -> channel.writeInbound(buf(input)))
        .isInstanceOf(RespProtocolException.class)
        .hasMessage(message);
  }

  private List<String> feed(String input) {
    channel.writeInbound(buf(input));
    List<String> frames = new ArrayList<>();
    drain(frames);
    return frames;
  }

  private List<String> feedByteByByte(String input) {
    List<String> frames = new ArrayList<>();
    for (byte b : input.getBytes(ISO_8859_1)) {
      channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
      drain(frames);
    }
    return frames;
  }

  private void drain(List<String> frames) {
    ByteBuf frame;
    while ((frame = channel.readInbound()) != null) {
      frames.add(frame.toString(ISO_8859_1));
      frame.release();
    }
  }

  private static ByteBuf buf(String s) {
    return Unpooled.copiedBuffer(s, ISO_8859_1);
  }
}
