package io.switchboard.proxy.discovery;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.switchboard.config.HostAndPort;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Subscribes to the topology events of every configured Sentinel, so the proxy reacts when Sentinel
 * acts instead of at its next reconcile. Only events about the watched master reach {@code
 * onEvent}, on Lettuce's I/O thread; the receiver moves them to its own thread. Several Sentinels
 * report the same event: the receiver coalesces, since each event only triggers a reconcile.
 *
 * <p>Connections are (re)opened by {@link #ensureSubscribed}, which the watcher calls at every
 * reconcile; a Sentinel that is down is tried again then.
 */
final class SentinelEvents implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SentinelEvents.class);

  /** The Sentinel event channels that change where traffic should go. */
  static final List<String> CHANNELS =
      List.of(
          "+switch-master",
          "+sdown",
          "-sdown",
          "+odown",
          "-odown",
          "+slave",
          "+convert-to-slave",
          "+reboot",
          "+failover-state-*",
          "+selected-slave",
          "+promoted-slave",
          "+failover-end",
          "-failover-abort-*");

  private final RedisClient client;
  private final String master;
  private final Consumer<SentinelEvent> onEvent;
  // Touched only by the watcher's thread.
  private final Map<HostAndPort, StatefulRedisPubSubConnection<String, String>> connections =
      new HashMap<>();
  private final Map<HostAndPort, Long> retryAfterNanos = new HashMap<>();
  private final long retryNanos;

  /**
   * @param retry how long to leave a Sentinel that refused a subscription before trying again, so
   *     Sentinels that are down do not slow every reconcile by a connect timeout
   */
  SentinelEvents(
      RedisClient client, String master, Duration retry, Consumer<SentinelEvent> onEvent) {
    this.client = client;
    this.master = master;
    this.retryNanos = retry.toNanos();
    this.onEvent = onEvent;
  }

  /** Opens and subscribes a connection to {@code sentinel} unless one is open already. */
  void ensureSubscribed(HostAndPort sentinel, RedisURI uri) {
    StatefulRedisPubSubConnection<String, String> connection = connections.get(sentinel);
    if (connection != null && connection.isOpen()) {
      return;
    }
    Long retryAfter = retryAfterNanos.get(sentinel);
    if (retryAfter != null && System.nanoTime() - retryAfter < 0) {
      return;
    }
    if (connection != null) {
      connection.closeAsync();
      connections.remove(sentinel);
    }
    try {
      connection = client.connectPubSub(uri);
      connection.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String pattern, String channel, String message) {
              SentinelEvent event = SentinelEvent.parse(sentinel, channel, message);
              if (event.concerns(master)) {
                onEvent.accept(event);
              }
            }
          });
      connection.sync().psubscribe(CHANNELS.toArray(String[]::new));
      connections.put(sentinel, connection);
      retryAfterNanos.remove(sentinel);
      log.debug("Subscribed to the events of Sentinel {}", sentinel);
    } catch (RuntimeException e) {
      if (connection != null) {
        connection.closeAsync();
      }
      retryAfterNanos.put(sentinel, System.nanoTime() + retryNanos);
      log.debug("Cannot subscribe to Sentinel {}: {}", sentinel, e.toString());
    }
  }

  @Override
  public void close() {
    connections.values().forEach(StatefulRedisPubSubConnection::close);
    connections.clear();
  }
}
