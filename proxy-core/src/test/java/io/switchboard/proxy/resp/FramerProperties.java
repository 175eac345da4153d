package io.switchboard.proxy.resp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the fuzz tests check of a framer, whatever the bytes and wherever the socket splits them: it
 * throws nothing but a protocol error, emits the same frames whether the input arrives at once or
 * in pieces (it is resumable), emits nothing after a protocol error, and releases every buffer
 * (LeakGate runs Netty's leak detector at paranoid).
 */
final class FramerProperties {

  private FramerProperties() {}

  /** The frames of {@code input} fed whole, after checking pieces give the same. */
  static List<String> framesOf(Supplier<ChannelHandler> framer, byte[] input, int splitEvery) {
    return outcomeOf(framer, input, splitEvery).frames;
  }

  /** The frames and error of {@code input} fed whole, after checking pieces give the same. */
  static Outcome outcomeOf(Supplier<ChannelHandler> framer, byte[] input, int splitEvery) {
    Outcome whole = run(framer, input, input.length + 1);
    Outcome pieces = run(framer, input, splitEvery);
    assertThat(pieces).isEqualTo(whole);
    return whole;
  }

  /** The frames (as ISO-8859-1 text) and whether a protocol error ended the stream. */
  record Outcome(List<String> frames, String error) {}

  private static Outcome run(Supplier<ChannelHandler> framer, byte[] input, int splitEvery) {
    EmbeddedChannel channel = new EmbeddedChannel(framer.get());
    List<String> frames = new ArrayList<>();
    String error = null;
    try {
      for (int i = 0; i < input.length; i += splitEvery) {
        int length = Math.min(splitEvery, input.length - i);
        String chunkError = null;
        try {
          channel.writeInbound(Unpooled.copiedBuffer(input, i, length));
        } catch (DecoderException e) {
          Throwable cause = root(e);
          assertThat(cause).as("only protocol errors").isInstanceOf(RespProtocolException.class);
          chunkError = cause.getMessage();
        }
        // Frames completed in this piece before its error still count; none may follow an error.
        ByteBuf frame;
        while ((frame = channel.readInbound()) != null) {
          try {
            assertThat(error).as("a frame after a protocol error").isNull();
            frames.add(frame.toString(ISO_8859_1));
          } finally {
            frame.release();
          }
        }
        if (error == null) {
          error = chunkError;
        }
      }
    } finally {
      channel.finishAndReleaseAll();
    }
    return new Outcome(frames, error);
  }

  private static Throwable root(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** A request frame must be exactly {@code *N\r\n} then N {@code $len\r\n<len bytes>\r\n}. */
  static void assertWellFormedArray(String frame) {
    ByteBuf buf = Unpooled.copiedBuffer(frame, ISO_8859_1);
    try {
      assertThat(frame).startsWith("*");
      int lf = frame.indexOf('\n');
      int count = Integer.parseInt(frame.substring(1, lf - 1));
      int pos = lf + 1;
      for (int i = 0; i < count; i++) {
        assertThat(frame.charAt(pos)).isEqualTo('$');
        int end = frame.indexOf('\n', pos);
        int length = Integer.parseInt(frame.substring(pos + 1, end - 1));
        pos = end + 1 + length;
        assertThat(frame.substring(pos, pos + 2)).isEqualTo("\r\n");
        pos += 2;
      }
      assertThat(pos).as(ByteBufUtil.prettyHexDump(buf)).isEqualTo(frame.length());
    } finally {
      buf.release();
    }
  }
}
