package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Latency at a fixed, moderate request rate: one connection sends SET and GET of a 16-byte value on
 * a schedule (open loop: it never waits for a reply before the next request is due) and times every
 * reply from the moment its request was written. One thread does both and never sleeps: on a
 * virtual machine a sleeping client thread adds the hypervisor's wake-up time (milliseconds at the
 * tail) to every figure, which would hide what the proxy adds. Prints {@code p50 p99 p999} in
 * microseconds and the number of replies timed; bench/run.sh runs it against Redis directly and
 * against each proxy and reports the differences.
 *
 * <p>{@code FixedRateLatency <port> [rate/s=5000] [seconds=20] [warm-up s=3]}
 */
public final class FixedRateLatency {

  private FixedRateLatency() {}

  public static void main(String[] argv) throws IOException {
    int port = Integer.parseInt(argv[0]);
    int rate = argv.length > 1 ? Integer.parseInt(argv[1]) : 5_000;
    int seconds = argv.length > 2 ? Integer.parseInt(argv[2]) : 20;
    int warmup = argv.length > 3 ? Integer.parseInt(argv[3]) : 3;

    int total = rate * (seconds + warmup);
    int skip = rate * warmup;
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    long[] sentAt = new long[total];
    long[] latency = new long[total];
    ByteBuffer[] requests = {
      ByteBuffer.wrap(resp("SET", "latency:probe", "v".repeat(16))),
      ByteBuffer.wrap(resp("GET", "latency:probe"))
    };
    ReplyCounter replies = new ReplyCounter();
    ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);

    try (SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      channel.configureBlocking(false);
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      int sent = 0;
      int answered = 0;
      while (answered < total) {
        if (sent < total && System.nanoTime() - (start + sent * interval) >= 0) {
          ByteBuffer request = requests[sent & 1].rewind();
          sentAt[sent] = System.nanoTime();
          while (request.hasRemaining()) {
            channel.write(request);
          }
          sent++;
        }
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
          throw new IOException("the server closed the connection");
        }
        if (n > 0) {
          long now = System.nanoTime();
          in.flip();
          int done = replies.feed(in);
          for (int i = 0; i < done; i++, answered++) {
            latency[answered] = now - sentAt[answered];
          }
        } else {
          Thread.onSpinWait();
        }
      }
    }
    long[] timed = Arrays.copyOfRange(latency, skip, total);
    Arrays.sort(timed);
    System.out.printf(
        "%.1f %.1f %.1f %d%n",
        micros(timed, 0.50), micros(timed, 0.99), micros(timed, 0.999), timed.length);
  }

  private static double micros(long[] sorted, double quantile) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)]
        / 1000.0;
  }

  private static byte[] resp(String... args) {
    StringBuilder out = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String arg : args) {
      out.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
    }
    return out.toString().getBytes(US_ASCII);
  }

  /**
   * Counts complete replies across reads. Enough RESP for what the probe sends: simple strings,
   * errors and bulk strings; an error reply stops the run.
   */
  private static final class ReplyCounter {
    private int state; // 0: type byte, 1: header line, 2: bulk body
    private byte type;
    private long number;
    private boolean negative;
    private long bodyLeft;

    int feed(ByteBuffer in) throws IOException {
      int complete = 0;
      while (in.hasRemaining()) {
        byte b = in.get();
        switch (state) {
          case 0 -> {
            type = b;
            number = 0;
            negative = false;
            state = 1;
          }
          case 1 -> {
            if (b == '\n') {
              if (type == '-') {
                throw new IOException("error reply from the server");
              }
              if (type == '$' && !negative) {
                bodyLeft = number + 2;
                state = 2;
              } else {
                complete++;
                state = 0;
              }
            } else if (b == '-') {
              negative = true;
            } else if (b >= '0' && b <= '9') {
              number = number * 10 + (b - '0');
            }
          }
          default -> {
            if (--bodyLeft == 0) {
              complete++;
              state = 0;
            }
          }
        }
      }
      return complete;
    }
  }
}
