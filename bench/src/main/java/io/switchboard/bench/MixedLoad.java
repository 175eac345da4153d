package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A read-mostly load over a few hot keys, for the near cache: each connection sends GET (90%) and
 * SET (10%) pipelined, and checks what it reads.
 *
 * <ul>
 *   <li>Its own writes: a connection writes only the keys {@code key % connections == its index},
 *       so it knows the last value it wrote to each; a read of such a key that returns an older
 *       value counts as {@code ownStale} (must be 0).
 *   <li>Others' writes: every acknowledged write records its sequence number and time per key; a
 *       read returning a value older than one acknowledged before the read was sent saw a stale
 *       value, for as long as from that acknowledgement to the reply: the longest such time is
 *       {@code maxInvisibleMicros}.
 * </ul>
 *
 * <p>With a {@code write port} (a Redis primary), the writes go there straight, not through the
 * proxy under test: {@code maxInvisibleMicros} is then how long the proxy kept serving a value
 * after Redis acknowledged its replacement, the latency of its invalidations.
 *
 * <p>Prints {@code ops <n> seconds <s> reads <n> writes <n> ownStale <n> maxInvisibleMicros <n>}.
 * With {@code MIXED_DEBUG=<microseconds>} in the environment, every read staler than that is
 * printed to stderr (key, its writer, the reader, the values seen and expected).
 *
 * <p>{@code MixedLoad <port> [connections=8] [seconds=10] [pipeline=16] [keys=1000] [write%=10]
 * [write port=port]}
 */
public final class MixedLoad {

  private MixedLoad() {}

  /** MIXED_DEBUG: print reads staler than this many microseconds (-1: none). */
  private static final long DEBUG_MICROS =
      System.getenv("MIXED_DEBUG") == null ? -1 : Long.parseLong(System.getenv("MIXED_DEBUG"));

  public static void main(String[] argv) throws Exception {
    int port = Integer.parseInt(argv[0]);
    int connections = argv.length > 1 ? Integer.parseInt(argv[1]) : 8;
    int seconds = argv.length > 2 ? Integer.parseInt(argv[2]) : 10;
    int pipeline = argv.length > 3 ? Integer.parseInt(argv[3]) : 16;
    int keys = argv.length > 4 ? Integer.parseInt(argv[4]) : 1000;
    int writePercent = argv.length > 5 ? Integer.parseInt(argv[5]) : 10;
    int writePort = argv.length > 6 ? Integer.parseInt(argv[6]) : port;

    Shared shared = new Shared(keys);
    try (Socket setup = new Socket("127.0.0.1", port)) {
      OutputStream out = setup.getOutputStream();
      InputStream in = new BufferedInputStream(setup.getInputStream());
      for (int k = 0; k < keys; k++) {
        out.write(resp("SET", key(k), value(0)));
      }
      out.flush();
      for (int k = 0; k < keys; k++) {
        readReply(in);
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Worker[] workers = new Worker[connections];
    Thread[] threads = new Thread[connections];
    long start = System.nanoTime();
    for (int i = 0; i < connections; i++) {
      workers[i] =
          new Worker(
              port, writePort, i, connections, pipeline, keys, writePercent, shared, deadline);
      threads[i] = new Thread(workers[i], "mixed-" + i);
      threads[i].start();
    }
    long reads = 0;
    long writes = 0;
    long ownStale = 0;
    long maxInvisible = 0;
    for (int i = 0; i < connections; i++) {
      threads[i].join();
      if (workers[i].failure != null) {
        throw workers[i].failure;
      }
      reads += workers[i].reads;
      writes += workers[i].writes;
      ownStale += workers[i].ownStale;
      maxInvisible = Math.max(maxInvisible, workers[i].maxInvisibleNanos);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "ops %d seconds %.2f reads %d writes %d ownStale %d maxInvisibleMicros %d%n",
        reads + writes, elapsed, reads, writes, ownStale, maxInvisible / 1000);
  }

  private static String key(int k) {
    return "mixed:" + k;
  }

  private static String value(long seq) {
    return Long.toString(seq);
  }

  /** Writes acknowledged so far: per key, the newest sequence number and when it was answered. */
  private static final class Shared {
    final AtomicLong sequence = new AtomicLong();
    final AtomicLongArray ackedSeq;
    final AtomicLongArray ackedAt;

    Shared(int keys) {
      ackedSeq = new AtomicLongArray(keys);
      ackedAt = new AtomicLongArray(keys);
    }

    void acked(int key, long seq, long now) {
      // Writers of one key are one connection, in order: the newest acknowledged is the last.
      ackedSeq.set(key, seq);
      ackedAt.set(key, now);
    }
  }

  private record Request(int key, boolean write, long seq, long newestAckedSeq, long newestAt) {}

  private static final class Worker implements Runnable {
    private final int port;
    private final int writePort;
    private final int index;
    private final int connections;
    private final int pipeline;
    private final int keys;
    private final int writePercent;
    private final Shared shared;
    private final long deadline;
    private final long[] ownLastWritten;
    long reads;
    long writes;
    long ownStale;
    long maxInvisibleNanos;
    Exception failure;

    Worker(
        int port,
        int writePort,
        int index,
        int connections,
        int pipeline,
        int keys,
        int writePercent,
        Shared shared,
        long deadline) {
      this.port = port;
      this.writePort = writePort;
      this.index = index;
      this.connections = connections;
      this.pipeline = pipeline;
      this.keys = keys;
      this.writePercent = writePercent;
      this.shared = shared;
      this.deadline = deadline;
      this.ownLastWritten = new long[keys];
    }

    @Override
    public void run() {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      try (Socket reads = new Socket("127.0.0.1", port);
          Socket writes = writePort == port ? reads : new Socket("127.0.0.1", writePort)) {
        reads.setTcpNoDelay(true);
        writes.setTcpNoDelay(true);
        OutputStream readOut = reads.getOutputStream();
        InputStream readIn = new BufferedInputStream(reads.getInputStream(), 1 << 16);
        OutputStream writeOut = writes == reads ? readOut : writes.getOutputStream();
        InputStream writeIn =
            writes == reads ? readIn : new BufferedInputStream(writes.getInputStream(), 1 << 16);
        ArrayDeque<Request> sentReads = new ArrayDeque<>();
        ArrayDeque<Request> sentWrites = new ArrayDeque<>();
        // On one connection replies come in request order: one queue for both.
        ArrayDeque<Request> sentWritesHere = writes == reads ? sentReads : sentWrites;
        while (System.nanoTime() < deadline) {
          for (int i = 0; i < pipeline; i++) {
            int key = random.nextInt(keys);
            boolean write = random.nextInt(100) < writePercent;
            if (write) {
              key = key - key % connections + index; // one of this connection's keys
              if (key >= keys) {
                key = index;
              }
              long seq = shared.sequence.incrementAndGet();
              writeOut.write(resp("SET", key(key), value(seq)));
              sentWritesHere.add(new Request(key, true, seq, 0, 0));
            } else {
              readOut.write(resp("GET", key(key)));
              sentReads.add(
                  new Request(key, false, 0, shared.ackedSeq.get(key), shared.ackedAt.get(key)));
            }
          }
          writeOut.flush();
          readOut.flush();
          drain(sentWrites, writeIn);
          drain(sentReads, readIn);
        }
      } catch (Exception e) {
        failure = e;
      }
    }

    private void drain(ArrayDeque<Request> sent, InputStream in) throws IOException {
      while (!sent.isEmpty()) {
        Request request = sent.poll();
        String reply = readReply(in);
        long now = System.nanoTime();
        if (request.write()) {
          writes++;
          ownLastWritten[request.key()] = request.seq();
          shared.acked(request.key(), request.seq(), now);
          continue;
        }
        reads++;
        long seen = Long.parseLong(reply);
        if (request.key() % connections == index && seen < ownLastWritten[request.key()]) {
          ownStale++;
        }
        if (seen < request.newestAckedSeq()) {
          maxInvisibleNanos = Math.max(maxInvisibleNanos, now - request.newestAt());
          if (DEBUG_MICROS >= 0 && now - request.newestAt() > DEBUG_MICROS * 1000) {
            System.err.printf(
                "stale key %d (owner %d, reader %d) seen %d newest %d after %d us%n",
                request.key(),
                request.key() % connections,
                index,
                seen,
                request.newestAckedSeq(),
                (now - request.newestAt()) / 1000);
          }
        }
      }
    }
  }

  static byte[] resp(String... args) {
    StringBuilder out = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String arg : args) {
      out.append('$').append(arg.length()).append("\r\n").append(arg).append("\r\n");
    }
    return out.toString().getBytes(US_ASCII);
  }

  /** One reply: a simple string or a bulk string's text (the load only uses SET and GET). */
  static String readReply(InputStream in) throws IOException {
    String line = line(in);
    if (line.startsWith("$")) {
      int length = Integer.parseInt(line.substring(1));
      byte[] data = in.readNBytes(length + 2);
      return new String(data, 0, length, US_ASCII);
    }
    if (line.startsWith("-")) {
      throw new IOException("error reply: " + line);
    }
    return line.substring(1);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      line.append((char) c);
    }
    in.read(); // \n
    return line.toString();
  }
}
