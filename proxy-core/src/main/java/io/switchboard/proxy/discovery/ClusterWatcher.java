package io.switchboard.proxy.discovery;

import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.BackendLoop;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import io.switchboard.routing.ClusterShards;
import io.switchboard.routing.ClusterSlots;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a Redis Cluster's shards. Asks a few of its nodes {@code CLUSTER INFO} and {@code CLUSTER
 * SHARDS}, over connections of its own on one event loop, takes the view of the node with the
 * highest current epoch (the freshest: every failover raises it), and publishes it as a {@link
 * Topology} of shards when it changed. Refreshes every interval, and sooner when asked ({@link
 * #refreshNow}: a MOVED, a failed connection), at most every {@link #MIN_GAP_MS} ms. Seeds are
 * asked until the cluster's own nodes are known, and again when none of them answers; node
 * addresses stay unresolved until connect time.
 */
public final class ClusterWatcher implements TopologySource {

  private static final Logger log = LoggerFactory.getLogger(ClusterWatcher.class);

  /** Nodes asked per refresh: enough that one stale or dead node does not decide. */
  private static final int ASKED = 3;

  /** The least time between two refreshes, however often one is asked for. */
  static final long MIN_GAP_MS = 100;

  private record Answer(long epoch, Topology topology, String error) {}

  private final BackendLoop home;
  private final List<HostAndPort> seeds;
  private final Duration interval;
  private final TopologyListener listener;
  private final Map<HostAndPort, BackendConnection> connections = new HashMap<>();
  private Topology current;
  private int rotation;
  private int outstanding;
  private List<Answer> answers = new ArrayList<>();
  private long lastRefreshNanos;
  private boolean again;
  private ScheduledFuture<?> task;
  private volatile boolean stopped;

  /** Per node asked: whether it answered, for the admin endpoint. */
  private final Map<HostAndPort, SourceStatus> statuses =
      new java.util.concurrent.ConcurrentHashMap<>();

  public ClusterWatcher(
      BackendLoop home, List<HostAndPort> seeds, Duration interval, TopologyListener listener) {
    this.home = home;
    this.seeds = List.copyOf(seeds);
    this.interval = interval;
    this.listener = listener;
  }

  @Override
  public String kind() {
    return "cluster";
  }

  @Override
  public HostAndPort requestFailover() {
    throw new IllegalStateException(
        "in cluster mode a shard fails over with CLUSTER FAILOVER sent to one of its replicas");
  }

  /** The nodes asked lately, each as its last answer left it; from any thread. */
  @Override
  public List<SourceStatus> status() {
    return new ArrayList<>(statuses.values());
  }

  @Override
  public void start() {
    home.eventLoop()
        .execute(
            () -> {
              refresh();
              task =
                  home.eventLoop()
                      .scheduleAtFixedRate(
                          this::refreshNow,
                          interval.toMillis(),
                          interval.toMillis(),
                          TimeUnit.MILLISECONDS);
            });
  }

  @Override
  public void close() {
    stopped = true;
    home.eventLoop()
        .execute(
            () -> {
              if (task != null) {
                task.cancel(false);
              }
              connections.values().forEach(BackendConnection::close);
              connections.clear();
            });
  }

  /** Asks the cluster again soon: at once, or when the last refresh is {@link #MIN_GAP_MS} old. */
  @Override
  public void refreshNow() {
    if (!home.eventLoop().inEventLoop()) {
      home.eventLoop().execute(this::refreshNow);
      return;
    }
    if (stopped) {
      return;
    }
    if (outstanding > 0) {
      again = true; // one more right after the one under way
      return;
    }
    long sinceMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastRefreshNanos);
    if (sinceMs < MIN_GAP_MS) {
      if (!again) {
        again = true;
        home.schedule(this::refreshAgain, MIN_GAP_MS - sinceMs);
      }
      return;
    }
    refresh();
  }

  private void refreshAgain() {
    again = false;
    refresh();
  }

  private void refresh() {
    if (stopped || outstanding > 0) {
      return;
    }
    lastRefreshNanos = System.nanoTime();
    List<HostAndPort> candidates = candidates();
    answers = new ArrayList<>();
    int count = Math.min(ASKED, candidates.size());
    outstanding = count;
    for (int i = 0; i < count; i++) {
      ask(candidates.get((rotation + i) % candidates.size()));
    }
    rotation++;
    home.flushes().flushAll();
  }

  /**
   * The cluster's nodes as last seen, primaries first; the seeds only until the cluster has
   * answered or while no node of it does (a seed taken out of the cluster is asked no more).
   */
  private List<HostAndPort> candidates() {
    Set<HostAndPort> nodes = new LinkedHashSet<>();
    if (current != null) {
      for (Shard shard : current.shards()) {
        if (shard.hasPrimary()) {
          nodes.add(shard.primary());
        }
      }
      for (Shard shard : current.shards()) {
        nodes.addAll(shard.replicas());
      }
    }
    if (current == null || current.problem() != null || nodes.isEmpty()) {
      nodes.addAll(seeds);
    }
    return new ArrayList<>(nodes);
  }

  private void ask(HostAndPort node) {
    BackendConnection connection =
        connections.computeIfAbsent(
            node,
            n -> {
              BackendConnection c =
                  new BackendConnection(
                      home, new BackendPool(home, n, 0, 2, false, false, 1, null), false);
              c.purpose = "cluster";
              return c;
            });
    long[] epoch = {-1};
    connection.sendInternal(
        Replies.command(home.alloc(), "CLUSTER", "INFO"),
        reply -> epoch[0] = currentEpoch(parse(reply)));
    connection.sendInternal(
        Replies.command(home.alloc(), "CLUSTER", "SHARDS"),
        reply -> {
          Object shards = parse(reply);
          if (shards instanceof RespValue.Error error
              && error
                  .message()
                  .toLowerCase(java.util.Locale.ROOT)
                  .contains("unknown subcommand")) {
            // Before Redis 7.0: CLUSTER SLOTS says the same, without the nodes' health.
            connection.sendInternal(
                Replies.command(home.alloc(), "CLUSTER", "SLOTS"),
                slots -> answered(node, epoch[0], parse(slots), ClusterSlots::parse));
            home.flushes().flushAll();
          } else {
            answered(node, epoch[0], shards, ClusterShards::parse);
          }
        });
  }

  private static Object parse(io.netty.buffer.ByteBuf reply) {
    try {
      return RespValue.parse(reply);
    } finally {
      reply.release();
    }
  }

  private static long currentEpoch(Object info) {
    if (info instanceof String text) {
      for (String line : text.split("\r?\n")) {
        if (line.startsWith("cluster_current_epoch:")) {
          try {
            return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
          } catch (NumberFormatException e) {
            return -1; // counts as no answer
          }
        }
      }
    }
    return -1;
  }

  private void answered(
      HostAndPort node,
      long epoch,
      Object shards,
      java.util.function.Function<List<?>, Topology> reader) {
    Answer answer;
    if (epoch >= 0 && shards instanceof List<?> list) {
      try {
        answer = new Answer(epoch, reader.apply(list), null);
      } catch (RuntimeException e) {
        answer = new Answer(-1, null, node + ": " + e.getMessage());
      }
    } else {
      answer = new Answer(-1, null, node + " answered " + shards);
    }
    statuses.put(node, new SourceStatus(node, answer.topology() != null, answer.error(), null, 0));
    answers.add(answer);
    if (--outstanding == 0) {
      decide();
      if (again) {
        again = false;
        refreshNow();
      }
    }
  }

  private void decide() {
    if (stopped) {
      return; // answers of connections closed by stop() come back as errors
    }
    Answer best = null;
    List<String> errors = new ArrayList<>();
    for (Answer answer : answers) {
      if (answer.topology() == null) {
        errors.add(answer.error());
      } else if (best == null
          || answer.epoch() > best.epoch()
          || (answer.epoch() == best.epoch() && answer.topology().equals(current))) {
        // At the same epoch nodes may briefly differ (gossip); keeping the view in use, when one
        // of them still reports it, stops the topology flapping between their answers.
        best = answer;
      }
    }
    Topology next;
    if (best != null) {
      next = best.topology();
    } else {
      String problem = "no cluster node answers (" + String.join("; ", errors) + ")";
      next = current == null ? Topology.unknown("cluster", problem) : current.degraded(problem);
    }
    if (!Objects.equals(next, current)) {
      if (best != null) {
        log.info("Cluster: {} shards, epoch {}", next.shards().size(), best.epoch());
      } else {
        log.warn("Cluster: {}", next.problem());
      }
      current = next;
      forgetGoneNodes();
      listener.onTopology(next);
    }
  }

  /** Connections to nodes neither in the cluster nor among the seeds are closed. */
  private void forgetGoneNodes() {
    Set<HostAndPort> keep = new LinkedHashSet<>(candidates());
    connections
        .entrySet()
        .removeIf(
            entry -> {
              if (keep.contains(entry.getKey())) {
                return false;
              }
              entry.getValue().close();
              return true;
            });
    statuses.keySet().retainAll(keep);
  }
}
