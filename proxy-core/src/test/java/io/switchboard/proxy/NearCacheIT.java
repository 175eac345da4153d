package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The near cache in front of the shared topology: hits, invalidation, read-your-writes. */
class NearCacheIT {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            "switchboard.cache.enabled = true\n"
                + "switchboard.redis.client-name = it-near-cache\n");
    proxy.awaitPrimary();
    try (RespClient client = client()) {
      String probe = key("probe");
      // The cache serves once the primaries' broadcast is on: until then every read is a miss.
      await().atMost(Duration.ofSeconds(10)).until(() -> servedByTheProxy(client, probe));
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private static RespClient client() throws IOException {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(10));
  }

  private static RedisNode primary() {
    return SharedTopology.get().primary();
  }

  private static String key(String name) {
    return "it:near:" + UUID.randomUUID() + ":" + name;
  }

  private static long primaryGets() throws IOException {
    return ServerStats.calls(primary(), "get");
  }

  /** Reads {@code key} twice: true when the second read never reached the primary. */
  private static boolean servedByTheProxy(RespClient client, String key) throws IOException {
    client.call("GET", key);
    long before = primaryGets();
    client.call("GET", key);
    return primaryGets() == before;
  }

  /**
   * Until the proxy answers {@code key} itself. Right after a write through the proxy its broadcast
   * invalidation is still on its way, and drops the first value read back (a read in flight when
   * its key is invalidated is not cached): eventually the value is cached.
   */
  private static void awaitServedByTheProxy(RespClient client, String key) {
    await().atMost(Duration.ofSeconds(5)).until(() -> servedByTheProxy(client, key));
  }

  @Test
  void aRepeatedReadIsAnsweredFromTheProxysMemory() throws Exception {
    String k = key("hot");
    primary().call("SET", k, "v1");
    try (RespClient client = client();
        RespClient other = client()) {
      assertThat(client.call("GET", k)).isEqualTo("v1");
      awaitServedByTheProxy(client, k); // the SET's invalidation may still have been on its way
      long gets = primaryGets();
      for (int i = 0; i < 10; i++) {
        assertThat(client.call("GET", k)).isEqualTo("v1");
        assertThat(other.call("GET", k)).as("one cache for every client").isEqualTo("v1");
      }
      assertThat(primaryGets()).isEqualTo(gets);
      assertThat(proxy.metric("switchboard_cache_hits_total")).isGreaterThanOrEqualTo(20);
    }
    primary().call("DEL", k);
  }

  @Test
  void aWriteStraightToRedisIsSeenOnceItsInvalidationArrivesAndTheOldValueNeverAgain()
      throws Exception {
    String k = key("theirs");
    primary().call("SET", k, "v1");
    try (RespClient client = client()) {
      assertThat(client.call("GET", k)).isEqualTo("v1");
      awaitServedByTheProxy(client, k);
      primary().call("SET", k, "v2");
      await().atMost(Duration.ofSeconds(5)).until(() -> "v2".equals(client.call("GET", k)));
      for (int i = 0; i < 20; i++) {
        assertThat(client.call("GET", k)).isEqualTo("v2");
      }
    }
    primary().call("DEL", k);
  }

  @Test
  void aWriteThroughTheProxyIsReadBackAtOnceByEveryClient() throws Exception {
    String k = key("mine");
    try (RespClient writer = client();
        RespClient reader = client()) {
      writer.call("SET", k, "v1");
      assertThat(writer.call("GET", k)).isEqualTo("v1");
      assertThat(reader.call("GET", k)).isEqualTo("v1");
      awaitServedByTheProxy(reader, k);
      assertThat(writer.call("SET", k, "v2")).isEqualTo("OK");
      assertThat(writer.call("GET", k)).as("its own write, at once").isEqualTo("v2");
      assertThat(reader.call("GET", k)).as("dropped when the write was answered").isEqualTo("v2");
      // Pipelined: the read after the write must not be answered from the cache before it.
      writer.send(concat(RespClient.encode("SET", k, "v3"), RespClient.encode("GET", k)));
      assertThat(writer.read()).isEqualTo("OK");
      assertThat(writer.read()).isEqualTo("v3");
      awaitServedByTheProxy(reader, k);
      writer.call("MULTI");
      writer.call("SET", k, "v4");
      writer.call("EXEC");
      assertThat(reader.call("GET", k)).as("written by a transaction").isEqualTo("v4");
      writer.call("DEL", k);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  @Test
  void aTrackingClientsReadsReachTheServerWhichTellsItOfChanges() throws Exception {
    String k = key("tracked");
    primary().call("SET", k, "v1");
    try (RespClient plain = client();
        RespClient tracking = client()) {
      plain.call("GET", k);
      awaitServedByTheProxy(plain, k);
      tracking.call("HELLO", "3");
      tracking.call("CLIENT", "TRACKING", "ON");
      long gets = primaryGets() + ServerStats.replicaCalls("get");
      assertThat(tracking.call("GET", k)).isEqualTo("v1");
      assertThat(primaryGets() + ServerStats.replicaCalls("get"))
          .as("not from the near cache")
          .isEqualTo(gets + 1);
      primary().call("SET", k, "v2");
      assertThat(tracking.readWithin(Duration.ofSeconds(5)))
          .isEqualTo(java.util.List.of("invalidate", java.util.List.of(k)));
    }
    primary().call("DEL", k);
  }

  @Test
  void aLostBroadcastEmptiesTheCacheUntilItIsBack() throws Exception {
    String k = key("lost");
    primary().call("SET", k, "v1");
    try (RespClient client = client()) {
      client.call("GET", k);
      awaitServedByTheProxy(client, k);
      int killed = 0;
      for (String line : String.valueOf(primary().call("CLIENT", "LIST")).split("\n")) {
        if (line.contains(" name=it-near-cache:exclusive ") && line.contains("flags=tB")) {
          String id = line.substring(3, line.indexOf(' '));
          primary().call("CLIENT", "KILL", "ID", id);
          killed++;
        }
      }
      assertThat(killed).as("the broadcast connection").isEqualTo(1);
      long gets = primaryGets();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () -> {
                client.call("GET", k);
                return primaryGets() > gets;
              });
      await().atMost(Duration.ofSeconds(10)).until(() -> servedByTheProxy(client, k));
    }
    primary().call("DEL", k);
  }
}
