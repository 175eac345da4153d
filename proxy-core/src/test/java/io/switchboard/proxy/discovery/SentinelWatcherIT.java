package io.switchboard.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.ConfigLoader;
import io.switchboard.config.SentinelConfig;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The Sentinel watcher against real Sentinels, without a proxy around it. */
class SentinelWatcherIT {

  /**
   * The first primary the watcher names is already covered by Sentinel's events: a failover that
   * starts after that answer is announced to the proxy before the replica is promoted. Named before
   * subscribing, a failover begun in between went unseen until the promotion, and the old primary
   * took writes the promoted replica never got (the failover report lost 3,544 acknowledged writes
   * that way once, when a profiler slowed the proxy's start by a second).
   */
  @Test
  void theFirstPrimaryIsNamedOnlyOnceEverySentinelsEventsAreSubscribed() throws Exception {
    try (LocalTopology topology = LocalTopology.start(1, 3)) {
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      AtomicReference<List<String>> unsubscribedAtFirstPrimary = new AtomicReference<>();
      SentinelWatcher watcher =
          new SentinelWatcher(
              sentinelConfig(topology),
              next -> {
                if (next.hasPrimary() && unsubscribedAtFirstPrimary.get() == null) {
                  // On the watcher's own thread, before it goes on: what the Sentinels see now.
                  unsubscribedAtFirstPrimary.set(sentinelsWithoutSubscriber(topology));
                }
              });
      try {
        watcher.start();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> unsubscribedAtFirstPrimary.get() != null);
      } finally {
        watcher.close();
      }
      assertThat(unsubscribedAtFirstPrimary.get())
          .as("Sentinels with no subscriber when the first primary was named")
          .isEmpty();
    }
  }

  private static SentinelConfig sentinelConfig(LocalTopology topology) {
    String hosts =
        topology.sentinelAddresses().stream()
            .map(h -> "\"" + h + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
    return ConfigLoader.parse(
            "switchboard.sentinel.hosts = "
                + hosts
                + "\nswitchboard.sentinel.master = "
                + LocalTopology.MASTER
                + "\n")
        .sentinel();
  }

  /** The Sentinels on which no client is subscribed to event patterns yet. */
  private static List<String> sentinelsWithoutSubscriber(LocalTopology topology) {
    List<String> without = new ArrayList<>();
    for (RedisNode sentinel : topology.sentinels()) {
      try {
        String clients = String.valueOf(sentinel.call("CLIENT", "LIST"));
        if (!clients.lines().anyMatch(line -> !line.contains(" psub=0 "))) {
          without.add(sentinel.name());
        }
      } catch (Exception e) {
        without.add(sentinel.name() + " (" + e.getMessage() + ")");
      }
    }
    return without;
  }
}
