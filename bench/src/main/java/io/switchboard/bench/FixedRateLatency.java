package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency at a fixed, moderate request rate: a few connections each send SET and GET of 16-byte
 * values on a schedule (open loop: a sender never waits for replies), and a reader per connection
 * times every reply from the moment its request was written. Prints one line: {@code p50 p99 p999}
 * in microseconds, then the number of replies timed. bench/run.sh runs it against Redis directly
 * and against each proxy and reports the differences.
 *
 * <p>{@code FixedRateLatency <port> [rate/s=10000] [seconds=20] [connections=4] [warmup s=3]}
 */
public final class FixedRateLatency {

  private FixedRateLatency() {}

  public static void main(String[] argv) throws Exception {
    int port = Integer.parseInt(argv[0]);
    int rate = argv.length > 1 ? Integer.parseInt(argv[1]) : 10_000;
    int seconds = argv.length > 2 ? Integer.parseInt(argv[2]) : 20;
    int connections = argv.length > 3 ? Integer.parseInt(argv[3]) : 4;
    int warmup = argv.length > 4 ? Integer.parseInt(argv[4]) : 3;

    long intervalNanos = TimeUnit.SECONDS.toNanos(1) * connections / rate;
    int perConnection = (int) ((long) rate * (seconds + warmup) / connections);
    int skip = (int) ((long) rate * warmup / connections);
    long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    List<Connection> all = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      all.add(new Connection(port, c, perConnection, start, intervalNanos));
    }
    for (Connection connection : all) {
      connection.start();
    }
    long[] latencies = new long[(perConnection - skip) * connections];
    int n = 0;
    for (Connection connection : all) {
      connection.join();
      for (int i = skip; i < perConnection; i++) {
        latencies[n++] = connection.latencies.get(i);
      }
    }
    Arrays.sort(latencies, 0, n);
    System.out.printf(
        "%.1f %.1f %.1f %d%n",
        micros(latencies, n, 0.50), micros(latencies, n, 0.99), micros(latencies, n, 0.999), n);
  }

  private static double micros(long[] sorted, int n, double quantile) {
    return sorted[Math.min(n - 1, (int) Math.ceil(quantile * n) - 1)] / 1000.0;
  }

  /** One connection: a sender on a schedule and a reader timing the replies in order. */
  private static final class Connection {
    final Socket socket = new Socket();
    final AtomicLongArray sentAt;
    final AtomicLongArray latencies;
    final int count;
    final long start;
    final long interval;
    final byte[][] requests;
    final Thread sender;
    final Thread reader;

    Connection(int port, int index, int count, long start, long interval) throws IOException {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      this.count = count;
      this.start = start;
      this.interval = interval;
      this.sentAt = new AtomicLongArray(count);
      this.latencies = new AtomicLongArray(count);
      String key = "latency:" + index;
      String value = "v".repeat(16);
      this.requests =
          new byte[][] {
            resp("SET", key, value), resp("GET", key),
          };
      this.sender = new Thread(this::send, "sender-" + index);
      this.reader = new Thread(this::read, "reader-" + index);
    }

    void start() {
      reader.start();
      sender.start();
    }

    void join() throws InterruptedException {
      sender.join();
      reader.join();
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing after the last reply
      }
    }

    private void send() {
      try {
        OutputStream out = socket.getOutputStream();
        for (int i = 0; i < count; i++) {
          long due = start + i * interval;
          long wait;
          while ((wait = due - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          sentAt.set(i, System.nanoTime());
          out.write(requests[i & 1]);
        }
        out.flush();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void read() {
      try {
        InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        for (int i = 0; i < count; i++) {
          skipReply(in);
          long now = System.nanoTime();
          long sent;
          while ((sent = sentAt.get(i)) == 0) {
            Thread.onSpinWait(); // the reply raced the sender's bookkeeping
          }
          latencies.set(i, now - sent);
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private static void skipReply(InputStream in) throws IOException {
      int type = in.read();
      long number = line(in);
      if (type == '$' && number >= 0) {
        in.skipNBytes(number + 2);
      } else if (type == '-') {
        throw new IOException("error reply");
      } else if (type < 0) {
        throw new IOException("connection closed");
      }
    }

    /** Reads to the end of the line; the number on it, if any. */
    private static long line(InputStream in) throws IOException {
      long n = 0;
      boolean negative = false;
      int b;
      while ((b = in.read()) != '\n') {
        if (b < 0) {
          throw new IOException("connection closed");
        }
        if (b == '-') {
          negative = true;
        } else if (b >= '0' && b <= '9') {
          n = n * 10 + (b - '0');
        }
      }
      return negative ? -n : n;
    }

    private static byte[] resp(String... args) {
      StringBuilder out = new StringBuilder().append('*').append(args.length).append("\r\n");
      for (String arg : args) {
        out.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
      }
      return out.toString().getBytes(US_ASCII);
    }
  }
}
