package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.switchboard.proxy.resp.RespReplyDecoder;
import org.openjdk.jmh.annotations.Param;

/**
 * The backend-side framer on a read of 16 replies: {@code +OK}, a 16-byte bulk string, or an array
 * of 100 bulk strings (LRANGE). Time and heap bytes per reply framed.
 */
public class ReplyFramerBenchmark extends FramerBenchmark {

  @Param({"ok", "bulk16", "array100"})
  String reply;

  @Override
  ChannelHandler framer() {
    return new RespReplyDecoder();
  }

  @Override
  ByteBuf read() {
    String one =
        switch (reply) {
          case "ok" -> "+OK\r\n";
          case "bulk16" -> "$16\r\n" + Frames.value(16) + "\r\n";
          default -> "*100\r\n" + ("$16\r\n" + Frames.value(16) + "\r\n").repeat(100);
        };
    return Unpooled.copiedBuffer(one.repeat(PIPELINE), US_ASCII);
  }
}
