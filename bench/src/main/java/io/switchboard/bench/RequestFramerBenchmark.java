package io.switchboard.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.switchboard.proxy.resp.ReadClock;
import io.switchboard.proxy.resp.RespRequestDecoder;
import org.openjdk.jmh.annotations.Param;

/**
 * The client-side framer on a read of 16 pipelined SETs, as the socket delivers it into a pooled
 * buffer: time and (with {@code -prof gc}) heap bytes per command framed.
 */
public class RequestFramerBenchmark extends FramerBenchmark {

  @Param({"16", "1024"})
  int valueBytes;

  @Override
  ChannelHandler framer() {
    return new RespRequestDecoder(new ReadClock(), 512L << 20, 1 << 20, 64 << 10, 1L << 30);
  }

  @Override
  ByteBuf read() {
    ByteBuf read = Unpooled.buffer();
    String value = Frames.value(valueBytes);
    for (int i = 0; i < PIPELINE; i++) {
      ByteBuf command = Frames.command("SET", "key:" + (100_000 + i), value);
      read.writeBytes(command);
      command.release();
    }
    return read;
  }
}
