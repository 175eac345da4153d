package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Continuous load through the proxy while something happens to the deployment, and the count of
 * what clients saw. Each session pipelines batches of SETs of unique keys, one INCR of its own
 * counter and one GET, and remembers which writes were acknowledged, so that afterwards every
 * acknowledged write can be looked for on the primary.
 *
 * <p>Write unavailability is measured where clients feel it: the longest time, over all sessions,
 * between the sending of a batch and its replies coming back, and between acknowledged batches.
 */
final class FailoverLoad implements AutoCloseable {

  private static final int SETS_PER_BATCH = 8;

  /**
   * Each session starts at most one batch per this: an offered load that does not depend on how
   * fast the proxy is. Unpaced, the load followed the proxy's speed: with the tests' paranoid leak
   * detector about 9,000 SETs a second, without it (as in production) fifteen times that, and a
   * dataset that grew so large that the replicas' full resyncs after each failover outlasted the
   * scenario's minute to heal. 8 sessions at one batch per 10 ms offer 6,400 SETs a second.
   */
  static final Duration BATCH_INTERVAL = Duration.ofMillis(10);

  /** What the sessions saw, summed. */
  record Outcome(
      long acknowledgedWrites,
      long disconnects,
      Map<String, Long> errors,
      long lostWrites,
      long lostIncrements,
      long longestWriteGapMillis) {

    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private final HostAndPort proxy;
  private final String prefix;
  private final List<Session> sessions = new ArrayList<>();
  private final Map<String, Long> errors = new ConcurrentHashMap<>();
  private final AtomicLong disconnects = new AtomicLong();
  private volatile boolean running = true;

  private FailoverLoad(HostAndPort proxy, String prefix) {
    this.proxy = proxy;
    this.prefix = prefix;
  }

  /** Starts {@code sessions} client connections, each on its own thread. */
  static FailoverLoad start(HostAndPort proxy, String prefix, int sessions) {
    FailoverLoad load = new FailoverLoad(proxy, prefix);
    for (int i = 0; i < sessions; i++) {
      Session session = load.new Session(i);
      load.sessions.add(session);
      session.thread.start();
    }
    return load;
  }

  /** Writes acknowledged so far, over all sessions. */
  long acknowledged() {
    long total = 0;
    for (Session session : sessions) {
      total += session.ackedSets.cardinality();
    }
    return total;
  }

  /** Stops the sessions, then looks for every acknowledged write on {@code primary}. */
  Outcome stopAndVerify(RedisNode primary) throws IOException, InterruptedException {
    return stopAndVerify(key -> primary.address());
  }

  /**
   * Stops the sessions, then looks for every acknowledged write on the primary that owns its key
   * now ({@code ownerOf}: the only primary, or the shard's in a cluster).
   */
  Outcome stopAndVerify(Function<String, HostAndPort> ownerOf)
      throws IOException, InterruptedException {
    stop();
    long lostWrites = 0;
    long lostIncrements = 0;
    long gap = 0;
    long acked = 0;
    Map<HostAndPort, RespClient> direct = new HashMap<>();
    try {
      for (Session session : sessions) {
        acked += session.ackedSets.cardinality() + session.ackedIncrements;
        gap = Math.max(gap, session.longestGapNanos / 1_000_000);
        lostWrites += session.missingOn(ownerOf, direct);
        Object counter =
            connection(direct, ownerOf.apply(session.counterKey()))
                .call("GET", session.counterKey());
        long stored = counter == null ? 0 : Long.parseLong(String.valueOf(counter));
        if (stored < session.highestIncrement) {
          lostIncrements += session.highestIncrement - stored;
        }
      }
    } finally {
      for (RespClient client : direct.values()) {
        client.close();
      }
    }
    return new Outcome(
        acked, disconnects.get(), new TreeMap<>(errors), lostWrites, lostIncrements, gap);
  }

  private static RespClient connection(Map<HostAndPort, RespClient> direct, HostAndPort node)
      throws IOException {
    RespClient client = direct.get(node);
    if (client == null) {
      client = RespClient.connect(node, Duration.ofSeconds(30));
      direct.put(node, client);
    }
    return client;
  }

  private void stop() throws InterruptedException {
    running = false;
    for (Session session : sessions) {
      session.thread.join(60_000);
    }
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Groups error replies by what they mean to the client. */
  static String kind(String message) {
    if (message.contains("replication could not be confirmed")) {
      return "ran, replication unconfirmed (connection lost before WAIT answered)";
    }
    if (message.contains("only after Sentinel had replaced it")) {
      return "answered by a replaced primary (may be lost)";
    }
    if (message.contains("may or may not have run")) {
      return "lost in flight (outcome unknown)";
    }
    int space = message.indexOf(' ');
    return space < 0 ? message : message.substring(0, space);
  }

  private final class Session {

    final int id;
    final Thread thread;
    final BitSet ackedSets = new BitSet();
    long ackedIncrements;
    long highestIncrement;
    long longestGapNanos;
    private int next;

    Session(int id) {
      this.id = id;
      this.thread = new Thread(this::run, "failover-load-" + id);
      this.thread.setDaemon(true);
    }

    String counterKey() {
      return prefix + "ctr:" + id;
    }

    String key(int seq) {
      return prefix + id + ":" + seq;
    }

    void run() {
      long lastAck = System.nanoTime();
      long nextBatchAt = lastAck;
      while (running) {
        try (RespClient client = RespClient.connect(proxy, Duration.ofSeconds(30))) {
          while (running) {
            // At the pace, unless replies came late: a batch held by a failover is not made up.
            nextBatchAt = Math.max(nextBatchAt + BATCH_INTERVAL.toNanos(), System.nanoTime());
            LockSupport.parkNanos(nextBatchAt - System.nanoTime());
            int first = next;
            for (int i = 0; i < SETS_PER_BATCH; i++) {
              client.send(RespClient.encode("SET", key(first + i), Integer.toString(first + i)));
            }
            client.send(RespClient.encode("INCR", counterKey()));
            client.send(RespClient.encode("GET", key(Math.max(0, first - 1))));
            next += SETS_PER_BATCH;
            boolean anyAck = false;
            for (int i = 0; i < SETS_PER_BATCH; i++) {
              Object reply = client.read();
              if ("OK".equals(reply)) {
                ackedSets.set(first + i);
                anyAck = true;
              } else {
                count(reply);
              }
            }
            Object incr = client.read();
            if (incr instanceof Long value) {
              ackedIncrements++;
              highestIncrement = Math.max(highestIncrement, value);
            } else {
              count(incr);
            }
            Object get = client.read();
            if (get instanceof RespValue.Error) {
              count(get);
            }
            long now = System.nanoTime();
            if (anyAck) {
              longestGapNanos = Math.max(longestGapNanos, now - lastAck);
              lastAck = now;
            }
          }
        } catch (IOException e) {
          if (running) {
            disconnects.incrementAndGet();
            errors.merge("disconnected: " + e.getMessage(), 1L, Long::sum);
          }
        }
      }
    }

    private void count(Object reply) {
      String kind =
          reply instanceof RespValue.Error error ? kind(error.message()) : "unexpected " + reply;
      errors.merge(kind, 1L, Long::sum);
    }

    /** How many acknowledged SETs are absent from (or wrong on) the primary of their key. */
    long missingOn(Function<String, HostAndPort> ownerOf, Map<HostAndPort, RespClient> direct)
        throws IOException {
      Map<HostAndPort, List<Integer>> byOwner = new HashMap<>();
      for (int seq = ackedSets.nextSetBit(0); seq >= 0; seq = ackedSets.nextSetBit(seq + 1)) {
        byOwner.computeIfAbsent(ownerOf.apply(key(seq)), n -> new ArrayList<>()).add(seq);
      }
      long missing = 0;
      for (Map.Entry<HostAndPort, List<Integer>> owner : byOwner.entrySet()) {
        RespClient primary = connection(direct, owner.getKey());
        List<Integer> seqs = owner.getValue();
        for (int from = 0; from < seqs.size(); from += 1000) {
          missing += check(primary, seqs.subList(from, Math.min(seqs.size(), from + 1000)));
        }
      }
      return missing;
    }

    private long check(RespClient primary, List<Integer> seqs) throws IOException {
      for (int seq : seqs) {
        primary.send(RespClient.encode("GET", key(seq)));
      }
      long missing = 0;
      for (int seq : seqs) {
        if (!Integer.toString(seq).equals(primary.read())) {
          missing++;
        }
      }
      return missing;
    }
  }
}
