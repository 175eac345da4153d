package io.switchboard.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import io.switchboard.config.HostAndPort;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.ReplicaState;
import io.switchboard.routing.ReplicationSnapshot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every meter the proxy publishes, declared here and nowhere else; the rest of the code calls these
 * methods and never builds a meter name. Names follow Prometheus conventions once rendered ({@code
 * switchboard_commands_seconds_count}, {@code switchboard_errors_total}, ...); the README lists
 * them all. Thread-safe: meters are, and per-loop caches live in {@link CommandStats}. The command
 * latency histogram is the one meter not built by Micrometer ({@link CommandLatencyHistogram}, per
 * event loop for speed); it is registered here with the rest.
 */
public final class ProxyMetrics {

  /** Where a command was answered, the {@code route} tag of {@code switchboard_commands}. */
  public enum ServedBy {
    PRIMARY,
    REPLICA,
    LOCAL,
    DENIED;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  /** Errors the proxy itself answers, the {@code kind} tag of {@code switchboard_errors}. */
  public enum ErrorKind {
    /** A command in flight when its backend connection was lost: outcome unknown. */
    LOST_IN_FLIGHT,
    /** A write held past failover.hold-timeout or failover.hold-bytes. */
    TRYAGAIN,
    /** A write acknowledged by a primary that was being replaced, or not replicated in time. */
    UNCONFIRMED_WRITE,
    /** A malformed request; the client is disconnected. */
    PROTOCOL,
    /** A command before authenticating (-NOAUTH). */
    AUTH,
    /** A command the client's user may not run (-NOPERM). */
    NOPERM;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  /**
   * Why an AUTH (or HELLO ... AUTH) failed, the {@code reason} tag of {@code
   * switchboard_auth_failures}.
   */
  public enum AuthFailure {
    /** Unknown user, user off, or wrong password. */
    WRONG_PASSWORD,
    /** Refused unchecked: the address failed auth.max-failures-per-address times lately. */
    RATE_LIMITED;

    final String tag = name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Latency buckets: the proxy's added latency is tens of microseconds, Redis's a few more. */
  private static final Duration[] BUCKETS = {
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(2),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(100),
    Duration.ofMillis(1000)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicInteger clients = new AtomicInteger();
  private final Counter clientsAccepted;
  private final Counter clientsRejected;
  private final Counter bytesReceived;
  private final Counter bytesSent;
  private final Counter failovers;
  private final Counter movedRedirects;
  private final Counter askRedirects;
  private final Counter[] errors = new Counter[ErrorKind.values().length];
  private final Counter nearCacheHits;
  private final Counter nearCacheMisses;
  private final Counter nearCacheEvictions;
  private final Counter nearCacheInvalidations;
  private final Counter[] authFailures = new Counter[AuthFailure.values().length];
  private final Counter reloadsApplied;
  private final Counter bigRequests;
  private final Counter bigReplies;
  private final MultiGauge hotKeyRequests;
  private final Counter reloadsRejected;
  private final CommandLatencyHistogram commandLatency;
  private final AtomicLong writeHeldNanos = new AtomicLong();
  private final Set<HostAndPort> replicaGauges = ConcurrentHashMap.newKeySet();
  private final Set<HostAndPort> sentinelGauges = ConcurrentHashMap.newKeySet();
  private final AtomicReference<ReplicationSnapshot> replication;
  private final MultiGauge backendConnections;
  private final MultiGauge backendInflight;
  private final MultiGauge shardPrimaryUp;
  private final MultiGauge shardReplicasEligible;
  private final Set<Long> ioThreads = ConcurrentHashMap.newKeySet();

  public ProxyMetrics(
      AtomicReference<ReplicationSnapshot> replication,
      LongSupplier heldBytes,
      LongSupplier exclusiveConnections) {
    this.replication = replication;
    long[] bounds = new long[BUCKETS.length];
    for (int i = 0; i < BUCKETS.length; i++) {
      bounds[i] = BUCKETS[i].toNanos();
    }
    this.commandLatency = new CommandLatencyHistogram(bounds);
    registry.getPrometheusRegistry().register(commandLatency);
    Gauge.builder("switchboard.clients.connected", clients, AtomicInteger::get)
        .description("Client connections open now")
        .register(registry);
    this.nearCacheHits =
        Counter.builder("switchboard.cache.hits")
            .description("Reads answered from the near cache")
            .register(registry);
    this.nearCacheMisses =
        Counter.builder("switchboard.cache.misses")
            .description("Cacheable reads the near cache did not have")
            .register(registry);
    this.nearCacheEvictions =
        Counter.builder("switchboard.cache.evictions")
            .description("Near cache entries dropped to stay within cache.max-bytes")
            .register(registry);
    this.nearCacheInvalidations =
        Counter.builder("switchboard.cache.invalidations")
            .description("Near cache entries dropped because their key changed")
            .register(registry);
    clientsAccepted =
        Counter.builder("switchboard.clients.accepted")
            .description("Client connections accepted since start")
            .register(registry);
    clientsRejected =
        Counter.builder("switchboard.clients.rejected")
            .description("Client connections refused: limits.max-clients reached")
            .register(registry);
    bytesReceived =
        Counter.builder("switchboard.client.received")
            .baseUnit("bytes")
            .description("Request bytes received from clients")
            .register(registry);
    bytesSent =
        Counter.builder("switchboard.client.sent")
            .baseUnit("bytes")
            .description("Reply bytes written to clients")
            .register(registry);
    failovers =
        Counter.builder("switchboard.failovers")
            .description("Times the primary changed")
            .register(registry);
    bigRequests = bigKeys(registry, "request");
    bigReplies = bigKeys(registry, "reply");
    hotKeyRequests =
        MultiGauge.builder("switchboard.hot.key.requests")
            .description(
                "Estimated recent requests of the hottest keys (hotkeys.top; decaying by half every"
                    + " hotkeys.window), refreshed at each scrape")
            .register(registry);
    reloadsApplied = reloads(registry, "applied");
    reloadsRejected = reloads(registry, "rejected");
    movedRedirects = redirects(registry, "moved");
    askRedirects = redirects(registry, "ask");
    for (ErrorKind kind : ErrorKind.values()) {
      errors[kind.ordinal()] =
          Counter.builder("switchboard.errors")
              .tag("kind", kind.tag)
              .description("Errors the proxy answered itself, by kind")
              .register(registry);
    }
    for (AuthFailure reason : AuthFailure.values()) {
      authFailures[reason.ordinal()] =
          Counter.builder("switchboard.auth.failures")
              .tag("reason", reason.tag)
              .description("Failed AUTH and HELLO AUTH attempts, by reason")
              .register(registry);
    }
    // Suppliers made by the caller, which nobody else holds: a gauge keeps only a weak reference
    // unless told otherwise, and reads NaN once the supplier is collected.
    Gauge.builder("switchboard.writes.held", heldBytes, LongSupplier::getAsLong)
        .baseUnit("bytes")
        .description("Request bytes waiting for a usable primary (failover.hold-bytes)")
        .strongReference(true)
        .register(registry);
    FunctionCounter.builder(
            "switchboard.write.unavailable", writeHeldNanos, nanos -> nanos.get() / 1_000_000_000.0)
        .baseUnit("seconds")
        .description("Time writes waited for a primary during failovers")
        .register(registry);
    Gauge.builder("switchboard.backend.exclusive", exclusiveConnections, LongSupplier::getAsLong)
        .description("Backend connections held by one session (transactions, blocking, pub/sub)")
        .strongReference(true)
        .register(registry);
    backendConnections =
        MultiGauge.builder("switchboard.backend.connections")
            .description(
                "Open backend connections (shared and held by one session), by node and role")
            .register(registry);
    backendInflight =
        MultiGauge.builder("switchboard.backend.inflight")
            .description("Requests sent to or waiting for a backend node, by node and role")
            .register(registry);
    shardPrimaryUp =
        MultiGauge.builder("switchboard.shard.primary.up")
            .description(
                "1 once the shard's primary has answered ROLE as master, by shard (its first slot"
                    + " range) and primary")
            .register(registry);
    shardReplicasEligible =
        MultiGauge.builder("switchboard.shard.replicas.eligible")
            .description("Replicas of the shard that may serve reads, by shard")
            .register(registry);
    // What the hot path allocates: with requests/s it gives bytes per request (bench/run.sh).
    FunctionCounter.builder("switchboard.io.allocated", ioThreads, ProxyMetrics::allocatedBytes)
        .baseUnit("bytes")
        .description("Heap bytes allocated by the proxy's event-loop threads")
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
  }

  /**
   * Counts what the calling thread (an event loop) allocates in {@code switchboard.io.allocated}.
   */
  public void ioThreadStarted() {
    ioThreads.add(Thread.currentThread().getId());
  }

  private static double allocatedBytes(Set<Long> threads) {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean)) {
      return Double.NaN;
    }
    long sum = 0;
    for (long id : threads) {
      sum += Math.max(0, bean.getThreadAllocatedBytes(id));
    }
    return sum;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * Counts a new client connection unless {@code max} are connected already; false (and counted as
   * rejected) when the connection must be refused.
   */
  public boolean clientConnected(int max) {
    while (true) {
      int now = clients.get();
      if (now >= max) {
        clientsRejected.increment();
        return false;
      }
      if (clients.compareAndSet(now, now + 1)) {
        clientsAccepted.increment();
        return true;
      }
    }
  }

  public void clientDisconnected() {
    clients.decrementAndGet();
  }

  public void received(long bytes) {
    bytesReceived.increment(bytes);
  }

  public void sent(long bytes) {
    bytesSent.increment(bytes);
  }

  public void error(ErrorKind kind) {
    errors[kind.ordinal()].increment();
  }

  public void authFailure(AuthFailure reason) {
    authFailures[reason.ordinal()].increment();
  }

  private static Counter bigKeys(MeterRegistry registry, String direction) {
    return Counter.builder("switchboard.big.keys")
        .tag("direction", direction)
        .description("Requests and replies of at least bigkeys.threshold bytes")
        .register(registry);
  }

  /** A request (or a reply) of at least bigkeys.threshold bytes. */
  public void bigKey(boolean reply) {
    (reply ? bigReplies : bigRequests).increment();
  }

  /** The hottest keys now, by key as shown (name or hash), for the scrape. */
  public void hotKeys(Map<String, Long> top) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    top.forEach((key, requests) -> rows.add(MultiGauge.Row.of(Tags.of("key", key), requests)));
    hotKeyRequests.register(rows, true);
  }

  private static Counter reloads(MeterRegistry registry, String result) {
    return Counter.builder("switchboard.config.reloads")
        .tag("result", result)
        .description(
            "Configuration reloads (file change, SIGHUP, POST /admin/reload): applied, or rejected"
                + " with the running configuration kept")
        .register(registry);
  }

  /** A reload was applied, or rejected as invalid. */
  public void configReload(boolean applied) {
    (applied ? reloadsApplied : reloadsRejected).increment();
  }

  private static Counter redirects(MeterRegistry registry, String kind) {
    return Counter.builder("switchboard.cluster.redirects")
        .tag("kind", kind)
        .description(
            "MOVED and ASK replies the proxy followed (cluster mode); clients never see them")
        .register(registry);
  }

  /** A MOVED ({@code moved}) or ASK reply was followed. */
  public void redirect(boolean moved) {
    (moved ? movedRedirects : askRedirects).increment();
  }

  public void nearCacheHit() {
    nearCacheHits.increment();
  }

  public void nearCacheMiss() {
    nearCacheMisses.increment();
  }

  public void nearCacheEviction() {
    nearCacheEvictions.increment();
  }

  public void nearCacheInvalidation() {
    nearCacheInvalidations.increment();
  }

  /** The near cache's bytes (weighed as cache.max-bytes counts them), read at scrape time. */
  public void nearCacheBytes(LongSupplier bytes) {
    Gauge.builder("switchboard.cache.bytes", bytes, LongSupplier::getAsLong)
        .description("Bytes the near cache holds, as cache.max-bytes counts them")
        .baseUnit("bytes")
        .strongReference(true) // as the suppliers above
        .register(registry);
  }

  /** The primary changed. */
  public void failover() {
    failovers.increment();
  }

  /** Writes waited {@code nanos} for a primary (a failover, a demotion, an unconfirmed start). */
  public void writesHeld(long nanos) {
    writeHeldNanos.addAndGet(nanos);
  }

  /**
   * The latency cell for a command answered by {@code route}, for one event loop. Callers cache it
   * (see {@link CommandStats#record}).
   */
  CommandLatencyHistogram.Cell commandCell(CommandSpec spec, ServedBy route) {
    // Bounded: the server's command table, plus "unknown" for every name it lacks.
    return commandLatency.cell(
        spec.name().isEmpty() ? "unknown" : spec.name().toLowerCase(Locale.ROOT), route.tag);
  }

  /** Replaces the backend gauges' rows with {@code loads}, summed over the event loops. */
  public void backends(List<BackendLoad> loads) {
    Map<List<Object>, int[]> sums = new HashMap<>();
    for (BackendLoad load : loads) {
      int[] sum = sums.computeIfAbsent(List.of(load.node(), load.primary()), k -> new int[2]);
      sum[0] += load.connections();
      sum[1] += load.inflight();
    }
    List<MultiGauge.Row<?>> connections = new ArrayList<>();
    List<MultiGauge.Row<?>> inflight = new ArrayList<>();
    sums.forEach(
        (key, sum) -> {
          Tags tags =
              Tags.of(
                  "node",
                  key.get(0).toString(),
                  "role",
                  (Boolean) key.get(1) ? "primary" : "replica");
          connections.add(MultiGauge.Row.of(tags, sum[0]));
          inflight.add(MultiGauge.Row.of(tags, sum[1]));
        });
    backendConnections.register(connections, true);
    backendInflight.register(inflight, true);
  }

  /**
   * The shards of a new topology: one row each, named by its first slot range (stable across the
   * shard's failovers), read from the replication snapshot at every scrape.
   */
  public void shards(Topology topology) {
    List<MultiGauge.Row<?>> up = new ArrayList<>();
    List<MultiGauge.Row<?>> eligible = new ArrayList<>();
    for (Shard shard : topology.shards()) {
      if (!shard.hasPrimary() || shard.slots().isEmpty()) {
        continue;
      }
      String name = shard.slots().get(0).toString();
      HostAndPort primary = shard.primary();
      List<HostAndPort> replicas = shard.replicas();
      up.add(
          MultiGauge.Row.of(
              Tags.of("shard", name, "primary", primary.toString()),
              replication,
              r -> r.get().primary(primary) == null ? 0 : 1));
      eligible.add(
          MultiGauge.Row.of(
              Tags.of("shard", name),
              replication,
              r -> replicas.stream().filter(node -> eligible(r.get(), node) == 1).count()));
    }
    shardPrimaryUp.register(up, true);
    shardReplicasEligible.register(eligible, true);
  }

  /** Registers lag and eligibility gauges for replicas seen for the first time. */
  public void replicasSeen(Iterable<HostAndPort> replicas) {
    for (HostAndPort node : replicas) {
      if (replicaGauges.add(node)) {
        Gauge.builder("switchboard.replica.lag", replication, r -> lagSeconds(r.get(), node))
            .tag("replica", node.toString())
            .baseUnit("seconds")
            .description("How far the replica is behind the primary (NaN when unknown)")
            .register(registry);
        Gauge.builder("switchboard.replica.eligible", replication, r -> eligible(r.get(), node))
            .tag("replica", node.toString())
            .description("1 while the replica may serve reads")
            .register(registry);
      }
    }
  }

  private static double lagSeconds(ReplicationSnapshot snapshot, HostAndPort node) {
    ReplicaState state = snapshot.replica(node);
    return state == null || state.lagMillis() == Long.MAX_VALUE
        ? Double.NaN
        : state.lagMillis() / 1000.0;
  }

  private static double eligible(ReplicationSnapshot snapshot, HostAndPort node) {
    ReplicaState state = snapshot.replica(node);
    return state != null && state.eligible() ? 1 : 0;
  }

  /** Registers a 0/1 gauge per Sentinel, reading {@code up} at each scrape. */
  public void sentinel(HostAndPort sentinel, Supplier<Boolean> up) {
    if (sentinelGauges.add(sentinel)) {
      Gauge.builder("switchboard.sentinel.up", up, s -> s.get() ? 1 : 0)
          .tag("sentinel", sentinel.toString())
          .description("1 while the Sentinel answers the proxy")
          .strongReference(true)
          .register(registry);
    }
  }
}
