package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.support.caching.CacheAccessor;
import io.lettuce.core.support.caching.CacheFrontend;
import io.lettuce.core.support.caching.ClientSideCaching;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client-side caching through the proxy where it differs from one Redis: reads served by replicas,
 * the proxy's own bounded table, a lost backend connection, and a real client's cache (Lettuce).
 * What a single Redis does too is in {@link TrackingContract}.
 */
class TrackingIT {

  /** Every read on a replica. */
  private static TestProxy replicaReads;

  /** Reads on the primary; a table of two keys; its backend connections named for this test. */
  private static TestProxy smallTable;

  /** The default routing (reads on replicas, read-your-writes). */
  private static TestProxy defaults;

  @BeforeAll
  static void start() throws Exception {
    replicaReads =
        TestProxy.start(SharedTopology.get(), "switchboard.routing.read-from = replica\n");
    smallTable =
        TestProxy.start(
            SharedTopology.get(),
            "switchboard.routing.read-from = primary\n"
                + "switchboard.server.io-threads = 1\n"
                + "switchboard.limits.tracking-table-max-keys = 2\n"
                + "switchboard.redis.client-name = it-tracking-small\n");
    defaults = TestProxy.start(SharedTopology.get(), "");
    replicaReads.awaitPrimary();
    smallTable.awaitPrimary();
    defaults.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    replicaReads.close();
    smallTable.close();
    defaults.close();
  }

  private static RespClient tracking(TestProxy proxy) throws IOException {
    RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
    client.call("HELLO", "3");
    assertThat(client.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
    return client;
  }

  private static RedisNode primary() {
    return SharedTopology.get().primary();
  }

  private static String key(String name) {
    return "it:tracking:" + UUID.randomUUID() + ":" + name;
  }

  /** The push frames that arrive within {@code wait}, until {@code count} of them came. */
  private static List<Object> pushes(RespClient client, int count, Duration wait)
      throws IOException {
    List<Object> pushes = new ArrayList<>();
    long deadline = System.nanoTime() + wait.toNanos();
    while (pushes.size() < count && System.nanoTime() < deadline) {
      Object frame = client.readWithin(Duration.ofMillis(100));
      if (frame != null) {
        pushes.add(frame);
      }
    }
    return pushes;
  }

  private static List<Object> invalidated(String... keys) {
    return List.of("invalidate", Arrays.asList(keys));
  }

  private static List<Object> flushed() {
    List<Object> push = new ArrayList<>();
    push.add("invalidate");
    push.add(null);
    return push;
  }

  @Test
  void aReadServedByAReplicaIsInvalidatedWhenTheReplicaAppliesTheWrite() throws Exception {
    String k = key("replica");
    primary().call("SET", k, "v1");
    primary().call("WAIT", "2", "5000");
    long replicaGetsBefore = ServerStats.replicaCalls("get");
    try (RespClient client = tracking(replicaReads)) {
      assertThat(client.call("GET", k)).isEqualTo("v1");
      assertThat(ServerStats.replicaCalls("get"))
          .as("a replica served the read")
          .isEqualTo(replicaGetsBefore + 1);
      primary().call("SET", k, "v2");
      assertThat(pushes(client, 1, Duration.ofSeconds(5))).containsExactly(invalidated(k));
      assertThat(client.call("GET", k)).isEqualTo("v2");
    }
    primary().call("DEL", k);
  }

  @Test
  void pastTheTableBoundTheOldestKeyIsForgottenAndItsReaderTold() throws Exception {
    String a = key("a");
    String b = key("b");
    String c = key("c");
    try (RespClient client = tracking(smallTable)) {
      client.call("GET", a);
      client.call("GET", b);
      client.send(RespClient.encode("GET", c));
      List<Object> frames = new ArrayList<>();
      frames.add(client.read());
      frames.add(client.read());
      assertThat(frames)
          .as("GET's nil, and the oldest of three keys invalidated (a table of two)")
          .containsExactlyInAnyOrder(null, invalidated(a));
      primary().call("SET", b, "1");
      assertThat(pushes(client, 1, Duration.ofSeconds(5))).containsExactly(invalidated(b));
      primary().call("DEL", b);
    }
  }

  @Test
  void aLostBackendConnectionFlushesTheSessionsThatReadThroughIt() throws Exception {
    String k = key("lost");
    try (RespClient client = tracking(smallTable)) {
      client.call("GET", k);
      assertThat(killTrackingConnections("it-tracking-small")).isPositive();
      assertThat(pushes(client, 1, Duration.ofSeconds(5)))
          .as("the server forgot what that connection read: all keys are invalid")
          .containsExactly(flushed());
      client.call("GET", k);
      primary().call("SET", k, "after");
      assertThat(pushes(client, 1, Duration.ofSeconds(5)))
          .as("read again on the new connection: tracked again")
          .containsExactly(invalidated(k));
    }
    primary().call("DEL", k);
  }

  @Test
  void aLostRedirectListenerFlushesTheRedirectedReadersAndANewOneTakesOver() throws Exception {
    String k = key("listener");
    try (RespClient subscriber = RespClient.connect(smallTable.address(), Duration.ofSeconds(10));
        RespClient client = RespClient.connect(smallTable.address(), Duration.ofSeconds(10))) {
      Object id = subscriber.call("CLIENT", "ID");
      subscriber.call("SUBSCRIBE", "__redis__:invalidate");
      client.call("CLIENT", "TRACKING", "ON", "REDIRECT", String.valueOf(id));
      client.call("GET", k);
      // The RESP3 connection RESP2 invalidations are redirected to is the proxy's only exclusive
      // one to the primary here.
      assertThat(kill("it-tracking-small:exclusive", "")).isPositive();
      List<Object> flush = new ArrayList<>(List.of("message", "__redis__:invalidate"));
      flush.add(null);
      assertThat(subscriber.readWithin(Duration.ofSeconds(5))).isEqualTo(flush);
      client.call("GET", k);
      primary().call("SET", k, "after");
      Object message;
      do { // the connections redirected to the old listener flush again as they close
        message = subscriber.readWithin(Duration.ofSeconds(5));
      } while (flush.equals(message));
      assertThat(message)
          .as("read again: redirected to the new listener")
          .isEqualTo(List.of("message", "__redis__:invalidate", List.of(k)));
    }
    primary().call("DEL", k);
  }

  /** Closes the primary's tracking connections opened by the proxy whose backend name is given. */
  private static int killTrackingConnections(String clientName) throws IOException {
    return kill(clientName, "t");
  }

  /** Closes the primary's connections of that name whose flags contain {@code flag}. */
  private static int kill(String clientName, String flag) throws IOException {
    int killed = 0;
    for (String line : String.valueOf(primary().call("CLIENT", "LIST")).split("\n")) {
      Map<String, String> fields = new java.util.HashMap<>();
      for (String field : line.strip().split(" ")) {
        int equals = field.indexOf('=');
        if (equals > 0) {
          fields.put(field.substring(0, equals), field.substring(equals + 1));
        }
      }
      if (clientName.equals(fields.get("name"))
          && fields.getOrDefault("flags", "").contains(flag)) {
        primary().call("CLIENT", "KILL", "ID", fields.get("id"));
        killed++;
      }
    }
    return killed;
  }

  @Test
  void lettucesClientSideCacheSeesAnotherClientsWriteAndNeverAStaleValue() throws Exception {
    String k = key("lettuce");
    primary().call("SET", k, "v1");
    primary().call("WAIT", "2", "5000");
    RedisClient lettuce = RedisClient.create(RedisURI.create("redis://" + defaults.address()));
    try (StatefulRedisConnection<String, String> connection = lettuce.connect();
        StatefulRedisConnection<String, String> writer = lettuce.connect()) {
      Map<String, String> cache = new ConcurrentHashMap<>();
      CacheFrontend<String, String> frontend =
          ClientSideCaching.enable(
              CacheAccessor.forMap(cache), connection, TrackingArgs.Builder.enabled());
      assertThat(frontend.get(k)).isEqualTo("v1");
      assertThat(cache).containsEntry(k, "v1");
      long readsBefore = ServerStats.calls(primary(), "get") + ServerStats.replicaCalls("get");
      assertThat(frontend.get(k)).as("from the client's cache").isEqualTo("v1");
      assertThat(ServerStats.calls(primary(), "get") + ServerStats.replicaCalls("get"))
          .isEqualTo(readsBefore);

      writer.sync().set(k, "v2");
      writer.sync().waitForReplication(2, 5000);
      await().atMost(Duration.ofSeconds(5)).until(() -> !cache.containsKey(k));
      assertThat(frontend.get(k)).isEqualTo("v2");
      for (int i = 0; i < 20; i++) {
        assertThat(frontend.get(k)).as("never the old value again").isEqualTo("v2");
      }
      frontend.close();
    } finally {
      lettuce.shutdown();
    }
    primary().call("DEL", k);
  }
}
