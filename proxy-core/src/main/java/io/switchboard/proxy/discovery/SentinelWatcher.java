package io.switchboard.proxy.discovery;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.OutboundTlsConfig;
import io.switchboard.config.SentinelConfig;
import io.switchboard.routing.Topology;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the configured Sentinels, in order, for the primary and replicas of the master name, and
 * publishes a new {@link Topology} whenever the answer changes: every reconcile interval, and at
 * once when a Sentinel publishes an event about the master ({@link SentinelEvents}). Runs on its
 * own thread, never on a proxy event loop. While no Sentinel answers it retries with exponential
 * backoff and publishes a topology whose problem names every Sentinel it tried.
 */
public final class SentinelWatcher implements TopologySource {

  private static final Logger log = LoggerFactory.getLogger(SentinelWatcher.class);

  private final SentinelConfig config;
  private final TopologyListener listener;
  private final ClientResources resources;
  private final io.lettuce.core.RedisClient client;
  private final ScheduledExecutorService scheduler;
  private final SentinelEvents events;
  private final AtomicBoolean eventReconcilePending = new AtomicBoolean();
  // Touched only by the scheduler thread.
  private final Map<HostAndPort, StatefulRedisSentinelConnection<String, String>> connections =
      new HashMap<>();
  private Topology current; // guarded by this (publish runs on the scheduler and event threads)

  /**
   * When a Sentinel last announced that it is starting to replace the primary (0: none pending).
   * The topology says "failover under way" at once, from the event's own thread, instead of after a
   * reconcile that may be queued behind a slow one; answers from a reconcile that began before the
   * announcement cannot clear it.
   */
  private volatile long failoverAnnouncedNanos;

  private HostAndPort lastAnswering;
  private final Map<HostAndPort, Long> retryAfterNanos = new HashMap<>();
  private final Map<HostAndPort, Duration> sentinelBackoff = new HashMap<>();
  private final Map<HostAndPort, String> lastErrors = new HashMap<>();
  private final Map<HostAndPort, SourceStatus> status =
      new java.util.concurrent.ConcurrentHashMap<>();
  private Duration backoff;
  private volatile boolean closed;

  public SentinelWatcher(SentinelConfig config, TopologyListener listener) {
    this.config = config;
    this.listener = listener;
    this.resources =
        ClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    this.client = io.lettuce.core.RedisClient.create(resources);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(false)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .socketOptions(SocketOptions.builder().connectTimeout(config.timeout()).build())
            .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
            .sslOptions(sslOptions(config.tls()))
            .build());
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "switchboard-sentinel");
              t.setDaemon(true);
              return t;
            });
    // At close, the next reconcile (up to retry-max away) is dropped, not waited for.
    ((ScheduledThreadPoolExecutor) scheduler)
        .setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.backoff = config.retryMin();
    this.events = new SentinelEvents(client, config.master(), config.retryMax(), this::onEvent);
  }

  /**
   * A Sentinel announced a change for our master (on Lettuce's thread): reconcile now rather than
   * at the next interval. Several Sentinels send the same event; one pending reconcile covers them.
   */
  private void onEvent(SentinelEvent event) {
    log.info("Sentinel {}: {} {}", event.from(), event.type(), event.payload());
    status.compute(
        event.from(),
        (from, old) ->
            new SourceStatus(
                from,
                old != null && old.answering(),
                old == null ? null : old.lastError(),
                event.type() + " " + event.payload(),
                System.currentTimeMillis()));
    if (announcesFailover(event)) {
      failoverAnnouncedNanos = System.nanoTime();
      synchronized (this) {
        if (current != null && current.hasPrimary() && !current.failoverUnderway()) {
          publish(current.withFailoverUnderway());
        }
      }
    }
    refreshNow();
  }

  /** Events that come before a promotion: writes must stop reaching the old primary now. */
  private static boolean announcesFailover(SentinelEvent event) {
    String type = event.type();
    // Not +failover-state-reconf-slaves: it follows the promotion, when writes should move on.
    return (type.startsWith("+failover-state-") && !type.equals("+failover-state-reconf-slaves"))
        || type.equals("+selected-slave")
        || (type.equals("+odown") && event.payload().startsWith("master "));
  }

  /**
   * Asks the Sentinels again as soon as possible, from any thread: after one of their events, or
   * when the proxy has reason to doubt the primary (a READONLY reply). Calls that arrive while one
   * is pending share it.
   */
  @Override
  public void refreshNow() {
    if (!closed && eventReconcilePending.compareAndSet(false, true)) {
      try {
        scheduler.execute(
            () -> {
              eventReconcilePending.set(false);
              if (!closed) {
                reconcileOnce();
              }
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closing: nothing to reconcile any more
      }
    }
  }

  /** Starts asking at once and then every reconcile interval. */
  @Override
  public String kind() {
    return "Sentinel";
  }

  @Override
  public void start() {
    scheduler.execute(this::reconcile);
  }

  private void reconcile() {
    if (closed) {
      return;
    }
    // Subscribed first, asked second: a failover that began before a subscription shows in the
    // answer (failover_in_progress), one that begins after it arrives as events. Asked first, the
    // first primary was named, and took writes, before a failover begun in between could be seen
    // at all: the old primary acknowledged writes until the promotion, and they were lost.
    for (HostAndPort sentinel : config.hosts()) {
      events.ensureSubscribed(sentinel, uri(sentinel));
    }
    boolean answered = reconcileOnce();
    Duration next;
    if (answered) {
      backoff = config.retryMin();
      next = config.reconcileInterval();
    } else {
      next = backoff;
      backoff =
          backoff.multipliedBy(2).compareTo(config.retryMax()) > 0
              ? config.retryMax()
              : backoff.multipliedBy(2);
    }
    if (!closed) {
      scheduler.schedule(this::reconcile, next.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** What one Sentinel said about the master. */
  private record Answer(
      HostAndPort from,
      HostAndPort primary,
      List<HostAndPort> replicas,
      long configEpoch,
      boolean failoverUnderway) {}

  /**
   * One pass over every Sentinel; true when at least one answered. The answer with the highest
   * config epoch names the primary: a Sentinel that missed a failover still names the old one. A
   * failover is under way when a Sentinel with that epoch is running one or agrees the primary is
   * down (only the leader knows the failover has started, so every Sentinel is asked).
   */
  private boolean reconcileOnce() {
    long startedNanos = System.nanoTime();
    List<String> failures = new ArrayList<>();
    List<Answer> answers = new ArrayList<>();
    long now = System.nanoTime();
    for (HostAndPort sentinel : config.hosts()) {
      Long retryAfter = retryAfterNanos.get(sentinel);
      if (retryAfter != null && now - retryAfter < 0) {
        failures.add(sentinel + " (" + lastErrors.get(sentinel) + ")");
        continue;
      }
      try {
        answers.add(ask(sentinel));
        updateStatus(sentinel, null);
        retryAfterNanos.remove(sentinel);
        sentinelBackoff.remove(sentinel);
      } catch (RuntimeException e) {
        String error = describe(e);
        failures.add(sentinel + " (" + error + ")");
        lastErrors.put(sentinel, error);
        updateStatus(sentinel, error);
        drop(sentinel);
        // A Sentinel that is down is left alone for a while, so it does not slow every pass.
        Duration wait = sentinelBackoff.getOrDefault(sentinel, config.retryMin());
        retryAfterNanos.put(sentinel, System.nanoTime() + wait.toNanos());
        Duration longer = wait.multipliedBy(2);
        sentinelBackoff.put(
            sentinel, longer.compareTo(config.retryMax()) > 0 ? config.retryMax() : longer);
      }
    }
    if (answers.isEmpty()) {
      lastAnswering = null;
      String problem =
          "no Sentinel answered for master '"
              + config.master()
              + "': "
              + String.join(", ", failures);
      if (current == null || !current.hasPrimary()) {
        publish(Topology.unknown(config.master(), problem));
      } else {
        publish(current.degraded(problem));
      }
      log.warn("{}; retrying in {} ms", problem, backoff.toMillis());
      return false;
    }
    // The highest epoch wins; within it, a Sentinel that has already switched to the promoted
    // replica wins over the leader, which names the old primary until its failover ends.
    Answer best = answers.get(0);
    for (Answer answer : answers) {
      if (answer.configEpoch() > best.configEpoch()
          || (answer.configEpoch() == best.configEpoch()
              && best.failoverUnderway()
              && !answer.failoverUnderway())) {
        best = answer;
      }
    }
    // Under way: a Sentinel of that epoch is replacing (or agrees is down) the primary chosen.
    boolean underway = false;
    for (Answer answer : answers) {
      underway |=
          answer.configEpoch() == best.configEpoch()
              && answer.failoverUnderway()
              && answer.primary().equals(best.primary());
    }
    long announced = failoverAnnouncedNanos;
    if (announced != 0) {
      if (announced - startedNanos > 0 && !underway) {
        underway = true; // these answers may predate the announcement
      } else if (!underway) {
        failoverAnnouncedNanos = 0; // asked after it: the Sentinels know better now
      }
    }
    if (!best.from().equals(lastAnswering)) {
      log.info("Sentinel {} answers for master '{}'", best.from(), config.master());
      lastAnswering = best.from();
    }
    publish(
        Topology.sentinel(
            config.master(), best.primary(), best.replicas(), best.configEpoch(), underway, null));
    return true;
  }

  private void updateStatus(HostAndPort sentinel, String error) {
    status.compute(
        sentinel,
        (from, old) ->
            new SourceStatus(
                from,
                error == null,
                error,
                old == null ? null : old.lastEvent(),
                old == null ? 0 : old.lastEventAtMillis()));
  }

  /**
   * Asks the Sentinels, in order, to fail the master over ({@code SENTINEL FAILOVER}); from any
   * thread, blocking until one accepts or all refused. Returns which Sentinel accepted.
   *
   * @throws IllegalStateException with every Sentinel's refusal
   */
  @Override
  public HostAndPort requestFailover() {
    java.util.concurrent.Future<HostAndPort> asked =
        scheduler.submit(
            () -> {
              List<String> refusals = new ArrayList<>();
              for (HostAndPort sentinel : config.hosts()) {
                try {
                  String reply = connection(sentinel).sync().failover(config.master());
                  if ("OK".equals(reply)) {
                    log.info("Sentinel {} accepted a failover of '{}'", sentinel, config.master());
                    return sentinel;
                  }
                  refusals.add(sentinel + " (" + reply + ")");
                } catch (RuntimeException e) {
                  refusals.add(sentinel + " (" + describe(e) + ")");
                  drop(sentinel);
                }
              }
              throw new IllegalStateException(
                  "no Sentinel accepted the failover: " + String.join(", ", refusals));
            });
    try {
      return asked.get(
          config.timeout().toMillis() * (config.hosts().size() + 1), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IllegalStateException refused
          ? refused
          : new IllegalStateException(describe(e.getCause()));
    } catch (java.util.concurrent.TimeoutException e) {
      asked.cancel(true);
      throw new IllegalStateException("the Sentinels did not answer in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  /** Each configured Sentinel as last seen, in configuration order; from any thread. */
  @Override
  public List<SourceStatus> status() {
    List<SourceStatus> all = new ArrayList<>();
    for (HostAndPort sentinel : config.hosts()) {
      all.add(
          status.getOrDefault(
              sentinel, new SourceStatus(sentinel, false, "not asked yet", null, 0)));
    }
    return all;
  }

  private Answer ask(HostAndPort sentinel) {
    var commands = connection(sentinel).sync();
    Map<String, String> master = commands.master(config.master());
    if (master == null || master.get("ip") == null) {
      throw new IllegalStateException("does not monitor a master named '" + config.master() + "'");
    }
    HostAndPort primaryNode =
        new HostAndPort(master.get("ip"), Integer.parseInt(master.get("port")));
    String flags = master.getOrDefault("flags", "");
    boolean underway = flags.contains("failover_in_progress") || flags.contains("o_down");
    long epoch = Long.parseLong(master.getOrDefault("config-epoch", "-1"));
    boolean promotionDone = promotionDone(master);
    List<HostAndPort> replicas = new ArrayList<>();
    HostAndPort promoted = null;
    for (Map<String, String> replica : commands.replicas(config.master())) {
      String replicaFlags = replica.getOrDefault("flags", "");
      HostAndPort node = new HostAndPort(replica.get("ip"), Integer.parseInt(replica.get("port")));
      if (promotionDone && replicaFlags.contains("promoted")) {
        promoted = node;
        continue;
      }
      // Right after a promotion Sentinel still lists the new primary among the replicas.
      if (!replicaFlags.contains("s_down")
          && !replicaFlags.contains("o_down")
          && !replicaFlags.contains("disconnected")
          && !node.equals(primaryNode)) {
        replicas.add(node);
      }
    }
    if (promoted != null) {
      // The leader has seen its replica answer as master and taken the failover's epoch: the
      // failover can no longer be aborted, and Sentinel itself names this node from now on
      // (SENTINEL GET-MASTER-ADDR-BY-NAME). The leader's MASTER entry keeps the old address until
      // the other replicas follow, and the others switch only when its hello reaches them (about
      // 100 ms): waiting for either held writes that long for nothing.
      return new Answer(sentinel, promoted, replicas, epoch, false);
    }
    return new Answer(sentinel, primaryNode, replicas, epoch, underway);
  }

  /**
   * Whether the failover this Sentinel leads has passed its promotion: from {@code reconf_slaves}
   * on, the promoted replica answered as master and the failover's epoch is the master's.
   */
  private static boolean promotionDone(Map<String, String> master) {
    String state = master.get("failover-state");
    return master.getOrDefault("flags", "").contains("failover_in_progress")
        && ("reconf_slaves".equals(state) || "update_config".equals(state));
  }

  private StatefulRedisSentinelConnection<String, String> connection(HostAndPort sentinel) {
    StatefulRedisSentinelConnection<String, String> connection = connections.get(sentinel);
    if (connection == null || !connection.isOpen()) {
      connection = client.connectSentinel(uri(sentinel));
      connections.put(sentinel, connection);
    }
    return connection;
  }

  /** Lettuce's TLS settings from sentinel.tls (used only when {@link #uri} asks for TLS). */
  private static SslOptions sslOptions(OutboundTlsConfig tls) {
    SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
    if (!tls.caFile().isEmpty()) {
      ssl.trustManager(new File(tls.caFile()));
    }
    if (!tls.certFile().isEmpty()) {
      ssl.keyManager(new File(tls.certFile()), new File(tls.keyFile()), null);
    }
    return ssl.build();
  }

  private RedisURI uri(HostAndPort sentinel) {
    RedisURI.Builder uri =
        RedisURI.builder()
            .withHost(sentinel.host())
            .withPort(sentinel.port())
            .withTimeout(config.timeout());
    if (config.tls().enabled()) {
      uri.withSsl(true)
          .withVerifyPeer(config.tls().verifyHostname() ? SslVerifyMode.FULL : SslVerifyMode.CA);
    }
    if (config.credentials().hasPassword()) {
      if (config.credentials().username().isEmpty()) {
        uri.withPassword(config.credentials().password().toCharArray());
      } else {
        uri.withAuthentication(config.credentials().username(), config.credentials().password());
      }
    }
    return uri.build();
  }

  private void drop(HostAndPort sentinel) {
    StatefulRedisSentinelConnection<String, String> connection = connections.remove(sentinel);
    if (connection != null) {
      connection.closeAsync();
    }
  }

  private synchronized void publish(Topology topology) {
    if (Objects.equals(topology, current)) {
      return;
    }
    if (topology.hasPrimary()
        && (current == null || !topology.primary().equals(current.primary()))) {
      log.info(
          "Primary of '{}' is {} (replicas: {})",
          topology.masterName(),
          topology.primary(),
          topology.replicas());
    }
    boolean wasUnderway = current != null && current.failoverUnderway();
    if (topology.failoverUnderway() != wasUnderway) {
      log.info(
          topology.failoverUnderway()
              ? "Sentinel reports a failover of '{}' under way (or the primary down): writes wait"
              : "Sentinel reports no failover of '{}' under way",
          topology.masterName());
    }
    current = topology;
    listener.onTopology(topology);
  }

  private static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }

  @Override
  public void close() {
    closed = true;
    // Let a reconcile in progress finish (bounded by the Sentinel timeout): interrupting it in
    // the middle of a connect leaves a channel Lettuce no longer tracks, and its buffers leak.
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(config.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
        scheduler.shutdownNow();
        scheduler.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      scheduler.shutdownNow();
      Thread.currentThread().interrupt();
    }
    connections.values().forEach(StatefulRedisSentinelConnection::close);
    connections.clear();
    events.close();
    // A short quiet period lets closing channels unregister (and release) before the loops stop.
    client.shutdown(Duration.ofMillis(100), Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
