package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.switchboard.proxy.demo.LocalTopology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/** Real clients doing real work through the proxy, checked against the real primary. */
class ClientsThroughProxyIT {

  private static LocalTopology topology;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    topology = SharedTopology.get();
    // A name of its own, so CLIENT LIST tells this proxy's connections from those of proxies
    // other test classes closed a moment ago.
    proxy = TestProxy.start(topology, "switchboard.redis.client-name = clients-it\n");
    try (Jedis jedis = proxy.jedis()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "PONG".equals(jedis.ping()));
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  /**
   * The command table comes over a connection of its own (so a new primary's first ROLE never waits
   * behind its 90 KB reply), which closes once the table is in: only the monitor's stays.
   */
  @Test
  void theCommandTablesConnectionClosesOnceLoaded() {
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              String clients = String.valueOf(topology.primary().call("CLIENT", "LIST"));
              assertThat(clients).contains("name=clients-it:monitor ");
              assertThat(clients).doesNotContain("name=clients-it:commands ");
            });
  }

  @Test
  void jedisStringsHashesAndListsLandOnThePrimary() throws Exception {
    try (Jedis jedis = proxy.jedis()) {
      assertThat(jedis.set("it:string", "v1")).isEqualTo("OK");
      assertThat(jedis.get("it:string")).isEqualTo("v1");
      assertThat(jedis.incrBy("it:counter", 5)).isEqualTo(5);
      jedis.hset("it:hash", Map.of("a", "1", "b", "2"));
      assertThat(jedis.hgetAll("it:hash")).isEqualTo(Map.of("a", "1", "b", "2"));
      jedis.del("it:list");
      jedis.rpush("it:list", "x", "y", "z");
      assertThat(jedis.lrange("it:list", 0, -1)).containsExactly("x", "y", "z");
      assertThat(jedis.get("it:missing")).isNull();
      assertThat(jedis.del("it:string", "it:counter", "it:hash", "it:list")).isEqualTo(4);
    }
    assertThat(topology.primary().call("EXISTS", "it:string")).isEqualTo(0L);
  }

  @Test
  void aPipelineOfTenThousandCommandsGetsEveryReplyInOrder() {
    try (Jedis jedis = proxy.jedis()) {
      Pipeline pipeline = jedis.pipelined();
      List<Response<String>> gets = new ArrayList<>();
      for (int i = 0; i < 5_000; i++) {
        pipeline.set("it:pipe:" + i, "value-" + i);
        gets.add(pipeline.get("it:pipe:" + i));
      }
      pipeline.sync();
      for (int i = 0; i < 5_000; i++) {
        assertThat(gets.get(i).get()).isEqualTo("value-" + i);
      }
    }
  }

  @Test
  void tenMegabyteValuesRoundTripIntact() {
    byte[] value = new byte[10 * 1024 * 1024];
    new Random(42).nextBytes(value);
    try (Jedis jedis = proxy.jedis()) {
      jedis.set("it:big".getBytes(), value);
      assertThat(jedis.get("it:big".getBytes())).isEqualTo(value);
      jedis.del("it:big");
    }
  }

  @Test
  void keysAndValuesAreBinarySafe() {
    byte[] key = {'k', 0, '\r', '\n', (byte) 0xff, '*', '$'};
    byte[] value = {0, 1, 2, '\r', '\n', '\r', '\n', (byte) 0x80, (byte) 0xfe};
    try (Jedis jedis = proxy.jedis()) {
      jedis.set(key, value);
      assertThat(jedis.get(key)).isEqualTo(value);
      jedis.del(key);
    }
  }

  @Test
  void lettuceInStandaloneModeSpeaksResp3ThroughTheProxy() throws Exception {
    RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", proxy.port()));
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      var sync = connection.sync();
      sync.hset("it:lettuce:hash", Map.of("f1", "v1", "f2", "v2"));
      assertThat(sync.hgetall("it:lettuce:hash")).isEqualTo(Map.of("f1", "v1", "f2", "v2"));
      RedisAsyncCommands<String, String> async = connection.async();
      connection.setAutoFlushCommands(false);
      List<RedisFuture<Long>> increments = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        increments.add(async.incr("it:lettuce:counter"));
      }
      connection.flushCommands();
      for (int i = 0; i < 1_000; i++) {
        assertThat(increments.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i + 1L);
      }
      connection.setAutoFlushCommands(true);
      sync.del("it:lettuce:hash", "it:lettuce:counter");
    } finally {
      client.shutdown();
    }
  }

  @Test
  void manyClientsShareAFewBackendConnections() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < 32; c++) {
        int client = c;
        done.add(
            pool.submit(
                () -> {
                  try (Jedis jedis = proxy.jedis()) {
                    for (int i = 0; i < 200; i++) {
                      String key = "it:many:" + client;
                      assertThat(jedis.incr(key)).isEqualTo(i + 1L);
                    }
                    jedis.del("it:many:" + client);
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    String clients = String.valueOf(topology.primary().call("CLIENT", "LIST"));
    long proxyConnections = clients.lines().filter(l -> l.contains("name=clients-it ")).count();
    // One shared connection per event loop (per database and protocol in use), not 32. The
    // proxy's other connections carry a suffix: clients-it:monitor, clients-it:exclusive.
    assertThat(proxyConnections)
        .isLessThanOrEqualTo(2L * Runtime.getRuntime().availableProcessors());
  }
}
