package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;

/**
 * Cluster mode against a real 3+3 Redis Cluster: a plain client on the proxy's one address reads
 * and writes keys of every shard, each key landing on the primary that owns its slot, with no MOVED
 * in sight.
 */
@SuppressWarnings("unchecked")
class ClusterModeIT {

  private static LocalCluster cluster;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start();
    proxy = TestProxy.cluster(cluster, "");
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    cluster.close();
  }

  /** The first two steps of moving a slot: the target imports it, the source migrates it. */
  private static void startMoving(int slot, RedisNode from, RedisNode to) throws Exception {
    String s = Integer.toString(slot);
    assertThat(to.call("CLUSTER", "SETSLOT", s, "IMPORTING", from.call("CLUSTER", "MYID")))
        .isEqualTo("OK");
    assertThat(from.call("CLUSTER", "SETSLOT", s, "MIGRATING", to.call("CLUSTER", "MYID")))
        .isEqualTo("OK");
  }

  /** The last step of moving a slot: every primary learns {@code to} owns it now. */
  private static void finishMoving(int slot, RedisNode to) throws Exception {
    String toId = String.valueOf(to.call("CLUSTER", "MYID"));
    for (RedisNode node : cluster.primaries()) {
      node.call("CLUSTER", "SETSLOT", Integer.toString(slot), "NODE", toId);
    }
  }

  private static RespClient client() throws java.io.IOException {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(10));
  }

  /** The primary that owns {@code key}'s slot, asked of the cluster itself. */
  private static RedisNode owner(String key) throws Exception {
    for (RedisNode primary : cluster.primaries()) {
      if (!(primary.call("EXISTS", key) instanceof RespValue.Error)) {
        return primary; // the others answer MOVED
      }
    }
    throw new AssertionError("no primary serves " + key);
  }

  @Test
  void keysOfEveryShardAreWrittenToTheirOwnerAndReadBack() throws Exception {
    try (Jedis jedis = proxy.jedis()) {
      for (int i = 0; i < 300; i++) {
        assertThat(jedis.set("it:cm:" + i, "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < 300; i++) {
        assertThat(jedis.get("it:cm:" + i)).isEqualTo("v" + i);
      }
    }
    for (RedisNode primary : cluster.primaries()) {
      assertThat((Long) primary.call("DBSIZE")).as(primary.name()).isGreaterThan(50);
    }
    for (int i = 0; i < 300; i += 37) {
      assertThat(owner("it:cm:" + i).call("GET", "it:cm:" + i)).isEqualTo("v" + i);
    }
  }

  @Test
  void readsReachReplicasWhichSendReadonly() throws Exception {
    try (Jedis jedis = proxy.jedis()) {
      jedis.set("it:cm:replica", "r");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                for (int i = 0; i < 20; i++) {
                  assertThat(jedis.get("it:cm:replica")).isEqualTo("r");
                }
                return cluster.replicas().stream().anyMatch(ClusterModeIT::servedReads);
              });
    }
  }

  @Test
  void multiKeyCommandsAcrossSlotsAreSplitAndMerged() throws Exception {
    try (Jedis jedis = proxy.jedis()) {
      assertThat(jedis.mset("it:mk:a", "1", "it:mk:b", "2", "it:mk:c", "3", "it:mk:d", "4"))
          .isEqualTo("OK");
      assertThat(jedis.mget("it:mk:d", "it:mk:nope", "it:mk:a", "it:mk:c", "it:mk:b"))
          .containsExactly("4", null, "1", "3", "2");
      assertThat(jedis.exists("it:mk:a", "it:mk:b", "it:mk:nope", "it:mk:a")).isEqualTo(3);
      assertThat(jedis.touch("it:mk:a", "it:mk:c")).isEqualTo(2);
      assertThat(jedis.del("it:mk:a", "it:mk:b", "it:mk:nope")).isEqualTo(2);
      assertThat(jedis.unlink("it:mk:c", "it:mk:d")).isEqualTo(2);
      assertThat(jedis.exists("it:mk:a", "it:mk:b", "it:mk:c", "it:mk:d")).isZero();
      double before = commandCount("mget");
      jedis.mget("it:mk:a", "it:mk:b", "it:mk:c", "it:mk:d");
      assertThat(commandCount("mget") - before).as("a split MGET counts once").isEqualTo(1.0);
    }
  }

  /** How many times the proxy's metrics counted {@code command}, over every route. */
  private static double commandCount(String command) throws Exception {
    return proxy
        .admin("/metrics")
        .lines()
        .filter(l -> l.startsWith("switchboard_commands_seconds_count{command=\"" + command + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void commandsThatNeedOneNodeGetRedisClustersCrossslot() throws Exception {
    String crossslot = "CROSSSLOT Keys in request don't hash to the same slot";
    try (RespClient client = client()) {
      for (Object[] command :
          new Object[][] {
            {"MSETNX", "it:x:a", "1", "it:x:b", "2"},
            {"RENAME", "it:x:a", "it:x:b"},
            {"SUNIONSTORE", "it:x:d", "it:x:a", "it:x:b"},
            {"SMOVE", "it:x:a", "it:x:b", "m"},
            {"LMOVE", "it:x:a", "it:x:b", "LEFT", "RIGHT"},
            {"EVAL", "return 1", "2", "it:x:a", "it:x:b"},
            {"ZUNION", "2", "it:x:a", "it:x:b"},
          }) {
        assertThat(client.call(command))
            .as(String.valueOf(command[0]))
            .isEqualTo(new RespValue.Error(crossslot));
      }
      assertThat(client.call("MSETNX", "{it:x}a", "1", "{it:x}b", "2")).isEqualTo(1L);
      assertThat(client.call("EVAL", "return redis.call('GET', KEYS[1])", "1", "{it:x}b"))
          .isEqualTo("2");
      assertThat(client.call("RENAME", "{it:x}a", "{it:x}c")).isEqualTo("OK");
    }
  }

  @Test
  void serverWideCommandsRunOnEveryPrimary() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("MSET", "it:sw:1", "a", "it:sw:2", "b", "it:sw:3", "c"))
          .isEqualTo("OK");
      long total = 0;
      for (RedisNode primary : cluster.primaries()) {
        total += (Long) primary.call("DBSIZE");
      }
      assertThat(client.call("DBSIZE")).isEqualTo(total);
      assertThat((List<Object>) client.call("KEYS", "it:sw:*"))
          .containsExactlyInAnyOrder("it:sw:1", "it:sw:2", "it:sw:3");
      assertThat(client.call("PING")).isEqualTo("PONG");
      assertThat(client.call("PING", "hi")).isEqualTo("hi");
      String sha = (String) client.call("SCRIPT", "LOAD", "return KEYS[1]");
      for (RedisNode primary : cluster.primaries()) {
        assertThat(primary.call("SCRIPT", "EXISTS", sha)).isEqualTo(List.of(1L));
      }
      assertThat(client.call("SCRIPT", "EXISTS", sha, "0000")).isEqualTo(List.of(1L, 0L));
      assertThat(client.call("EVALSHA", sha, "1", "it:sw:1")).isEqualTo("it:sw:1");
      for (RedisNode replica : cluster.replicas()) {
        assertThat(replica.call("SCRIPT", "EXISTS", sha)).as(replica.name()).isEqualTo(List.of(1L));
      }
      for (RedisNode primary : cluster.primaries()) {
        primary.call("SCRIPT", "FLUSH"); // behind the proxy's back: NOSCRIPT, then reloaded
      }
      for (String tag : KEY_PER_SHARD) {
        assertThat(client.call("EVALSHA", sha, "1", tag + "k")).isEqualTo(tag + "k");
      }
      String library =
          "#!lua name=itlib\nredis.register_function('itkey', function(keys, args) return keys[1]"
              + " end)";
      assertThat(client.call("FUNCTION", "LOAD", library)).isEqualTo("itlib");
      for (String tag : KEY_PER_SHARD) {
        assertThat(client.call("FCALL", "itkey", "1", tag + "f")).isEqualTo(tag + "f");
      }
      assertThat(client.call("FUNCTION", "DELETE", "itlib")).isEqualTo("OK");
      for (RedisNode primary : cluster.primaries()) {
        assertThat(primary.call("FUNCTION", "LIST")).as(primary.name()).isEqualTo(List.of());
      }
      String info = String.valueOf(client.call("INFO"));
      assertThat(info).contains("switchboard_shards:3").contains("db0:keys=" + total + ",");
      assertThat(client.call("CONFIG", "SET", "slowlog-max-len", "129")).isEqualTo("OK");
      for (RedisNode node : cluster.nodes()) {
        assertThat(node.call("CONFIG", "GET", "slowlog-max-len"))
            .as(node.name())
            .isEqualTo(List.of("slowlog-max-len", "129"));
      }
      assertThat(client.call("RANDOMKEY")).isNotNull();
    }
  }

  @Test
  void scanReturnsEveryKeyOfEveryShardOnce() throws Exception {
    Set<String> written = new HashSet<>();
    try (RespClient client = client()) {
      for (int i = 0; i < 500; i++) {
        client.call("SET", "it:scan:" + i, "v");
        written.add("it:scan:" + i);
      }
      List<String> seen = new ArrayList<>();
      String cursor = "0";
      int calls = 0;
      do {
        List<?> page = (List<?>) client.call("SCAN", cursor, "MATCH", "it:scan:*", "COUNT", "50");
        cursor = (String) page.get(0);
        for (Object key : (List<?>) page.get(1)) {
          seen.add((String) key);
        }
        assertThat(++calls).isLessThan(1000);
      } while (!cursor.equals("0"));
      assertThat(seen).hasSameSizeAs(written);
      assertThat(new HashSet<>(seen)).isEqualTo(written);
      assertThat(client.call("SCAN", "notacursor")).isInstanceOf(RespValue.Error.class);
    }
  }

  @Test
  void selectOtherThanZeroGetsRedisClustersError() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("SELECT", "0")).isEqualTo("OK");
      assertThat(client.call("SELECT", "1"))
          .isEqualTo(new RespValue.Error("ERR SELECT is not allowed in cluster mode"));
      assertThat(client.call("SELECT", "x"))
          .isEqualTo(new RespValue.Error("ERR value is not an integer or out of range"));
    }
  }

  @Test
  void clusterCommandsDescribeOneNodeHoldingEverySlot() throws Exception {
    try (RespClient client = client()) {
      assertThat(String.valueOf(client.call("CLUSTER", "INFO")))
          .contains("cluster_state:ok")
          .contains("cluster_known_nodes:1");
      String id = (String) client.call("CLUSTER", "MYID");
      assertThat(id).hasSize(40);
      assertThat(client.call("CLUSTER", "KEYSLOT", "foo")).isEqualTo(12182L);
      List<?> slots = (List<?>) client.call("CLUSTER", "SLOTS");
      assertThat(slots).hasSize(1);
      assertThat(((List<Object>) slots.get(0)).subList(0, 2)).containsExactly(0L, 16383L);
      assertThat(((List<Object>) ((List<?>) slots.get(0)).get(2)).subList(0, 3))
          .containsExactly("127.0.0.1", (long) proxy.port(), id);
      assertThat(String.valueOf(client.call("CLUSTER", "NODES")))
          .startsWith(id + " 127.0.0.1:" + proxy.port() + "@0 myself,master")
          .contains("connected 0-16383");
      assertThat(String.valueOf(client.call("CLUSTER", "SHARDS"))).contains("0, 16383", id);
      assertThat(client.call("READONLY")).isEqualTo("OK");
      assertThat(String.valueOf(client.call("CLUSTER", "FORGET", id)))
          .contains("Switchboard answers CLUSTER INFO");
    }
  }

  @Test
  void clusterAwareClientsWorkThroughTheOneAddress() {
    try (JedisCluster jedis =
        new JedisCluster(
            new redis.clients.jedis.HostAndPort("127.0.0.1", proxy.port()), 2000, 2000, 1, null)) {
      for (int i = 0; i < 50; i++) {
        jedis.set("it:aware:" + i, "j" + i);
      }
      for (int i = 0; i < 50; i++) {
        assertThat(jedis.get("it:aware:" + i)).isEqualTo("j" + i);
      }
      assertThat(jedis.getClusterNodes()).hasSize(1);
    }
    io.lettuce.core.RedisClient standalone =
        io.lettuce.core.RedisClient.create(RedisURI.create("127.0.0.1", proxy.port()));
    try (var connection = standalone.connect()) {
      assertThat(connection.sync().mget("it:aware:1", "it:aware:2", "it:aware:3"))
          .extracting(kv -> kv.getValue())
          .containsExactly("j1", "j2", "j3");
    } finally {
      standalone.shutdown();
    }
    RedisClusterClient lettuce =
        RedisClusterClient.create(RedisURI.create("127.0.0.1", proxy.port()));
    try (var connection = lettuce.connect()) {
      for (int i = 0; i < 50; i++) {
        assertThat(connection.sync().get("it:aware:" + i)).isEqualTo("j" + i);
      }
      assertThat(connection.sync().mget("it:aware:1", "it:aware:2"))
          .extracting(kv -> kv.getValue())
          .containsExactly("j1", "j2");
    } finally {
      lettuce.shutdown();
    }
  }

  /** One key per shard: hash tags {a}, {b}, {c} land on three different primaries. */
  private static final String[] KEY_PER_SHARD = {"{a}", "{b}", "{c}"};

  @Test
  void trackedReadsOnEveryShardAreInvalidatedByTheirShard() throws Exception {
    try (RespClient client = client()) {
      client.call("HELLO", "3");
      assertThat(client.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
      List<String> keys = new ArrayList<>();
      for (String tag : KEY_PER_SHARD) {
        keys.add(tag + "tracked:single");
        keys.add(tag + "tracked:split");
      }
      for (int i = 0; i < keys.size(); i += 2) {
        client.call("GET", keys.get(i));
      }
      client.call("MGET", keys.get(1), keys.get(3), keys.get(5)); // split across the shards
      Set<Object> expected = new HashSet<>();
      for (String key : keys) {
        owner(key).call("SET", key, "written");
        expected.add(List.of("invalidate", List.of(key)));
      }
      Set<Object> pushes = new HashSet<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (pushes.size() < expected.size() && System.nanoTime() < deadline) {
        Object push = client.readWithin(Duration.ofMillis(100));
        if (push != null) {
          pushes.add(push);
        }
      }
      assertThat(pushes).isEqualTo(expected);
      for (String key : keys) {
        owner(key).call("DEL", key);
      }
    }
  }

  @Test
  void keysOfTheThreeTagsLandOnThreeShards() throws Exception {
    Set<String> owners = new HashSet<>();
    for (String tag : KEY_PER_SHARD) {
      owners.add(owner(tag + "probe").name());
    }
    assertThat(owners).as("the tags the transaction tests rely on").hasSize(3);
  }

  @Test
  void aTransactionRunsOnTheShardOfItsKeysWhateverComesFirst() throws Exception {
    try (RespClient client = client()) {
      for (String tag : KEY_PER_SHARD) {
        String counter = tag + "tx:counter";
        assertThat(client.call("MULTI")).isEqualTo("OK");
        assertThat(client.call("PING")).isEqualTo("QUEUED");
        assertThat(client.call("SET", counter, "10")).isEqualTo("QUEUED");
        assertThat(client.call("INCR", counter)).isEqualTo("QUEUED");
        assertThat(client.call("DBSIZE")).isEqualTo("QUEUED");
        List<Object> results = (List<Object>) client.call("EXEC");
        assertThat(results.subList(0, 3)).as(tag).containsExactly("PONG", "OK", 11L);
        assertThat(owner(counter).call("GET", counter)).isEqualTo("11");
      }
    }
  }

  @Test
  void aCommandOfAnotherSlotInATransactionGetsCrossslotAndAbortsIt() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", "{a}tx:x", "1")).isEqualTo("QUEUED");
      assertThat(client.call("SET", "{b}tx:x", "1"))
          .isEqualTo(new RespValue.Error("CROSSSLOT Keys in request don't hash to the same slot"));
      assertThat(client.call("EXEC"))
          .isEqualTo(
              new RespValue.Error("EXECABORT Transaction discarded because of previous errors."));
      assertThat(client.call("EXISTS", "{a}tx:x")).isEqualTo(0L);
      // The session goes on with a new transaction elsewhere.
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", "{c}tx:y", "2")).isEqualTo("QUEUED");
      assertThat(client.call("EXEC")).isEqualTo(List.of("OK"));
    }
  }

  @Test
  void watchLeasesTheShardOfItsKeysAndSeesConflicts() throws Exception {
    try (RespClient client = client();
        RespClient other = client()) {
      for (String tag : KEY_PER_SHARD) {
        String key = tag + "watched";
        client.call("SET", key, "1");
        assertThat(client.call("WATCH", key)).isEqualTo("OK");
        assertThat(client.call("GET", "{b}elsewhere"))
            .as("another shard, outside the lease")
            .isNull();
        assertThat(client.call("MULTI")).isEqualTo("OK");
        assertThat(client.call("INCR", key)).isEqualTo("QUEUED");
        assertThat(client.call("EXEC")).isEqualTo(List.of(2L));
        assertThat(client.call("WATCH", key)).isEqualTo("OK");
        assertThat(other.call("SET", key, "changed")).isEqualTo("OK");
        assertThat(client.call("MULTI")).isEqualTo("OK");
        assertThat(client.call("INCR", key)).isEqualTo("QUEUED");
        assertThat(client.call("EXEC")).as("a conflict: nil").isNull();
      }
      assertThat(client.call("WATCH", "{a}1", "{b}2"))
          .isEqualTo(new RespValue.Error("CROSSSLOT Keys in request don't hash to the same slot"));
    }
  }

  @Test
  void blockingCommandsWaitOnTheShardOfTheirKey() throws Exception {
    for (String tag : KEY_PER_SHARD) {
      String list = tag + "queue";
      try (RespClient waiter = client();
          RespClient pusher = client()) {
        java.util.concurrent.CompletableFuture<Object> popped =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return waiter.call("BLPOP", list, "10");
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> String.valueOf(owner(list).call("CLIENT", "LIST")).contains("cmd=blpop"));
        assertThat(pusher.call("RPUSH", list, "job")).isEqualTo(1L);
        assertThat(popped.get(10, java.util.concurrent.TimeUnit.SECONDS))
            .isEqualTo(List.of(list, "job"));
      }
    }
  }

  @Test
  void askAndMovedDuringASlotMigrationAreFollowed() throws Exception {
    String key = "{mig}key";
    int slot = io.switchboard.routing.KeySlot.of(key);
    RedisNode from = owner(key);
    RedisNode to = cluster.primaries().stream().filter(n -> n != from).findFirst().orElseThrow();
    String s = Integer.toString(slot);
    try (RespClient client = client()) {
      assertThat(client.call("SET", "{mig}old", "1")).isEqualTo("OK");
      startMoving(slot, from, to);
      // A key the source does not have: it answers ASK, the proxy asks the target (ASKING).
      assertThat(client.call("SET", key, "new")).isEqualTo("OK");
      try (RespClient target = RespClient.connect(to.address(), Duration.ofSeconds(5))) {
        assertThat(target.call("ASKING")).isEqualTo("OK");
        assertThat(target.call("GET", key)).as("written on the importing node").isEqualTo("new");
      }
      assertThat(client.call("GET", "{mig}old")).as("still on the source").isEqualTo("1");
      assertThat(
              from.call(
                  "MIGRATE",
                  "127.0.0.1",
                  Integer.toString(to.port()),
                  "",
                  "0",
                  "5000",
                  "KEYS",
                  "{mig}old"))
          .isEqualTo("OK");
      finishMoving(slot, to);
      // The source now answers MOVED: followed, and the slot map refreshed.
      assertThat(client.call("SET", "{mig}probe", "p")).isEqualTo("OK");
      // Until the proxy's map has the move, a read may still go to the source's replica, which
      // does not know of migrations and answers nil for the migrated key (README: Redis Cluster).
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> proxy.admin("/topology").contains("\"" + s + "-" + s + "\""));
      assertThat(client.call("GET", "{mig}old"))
          .as("read your writes, on the new shard")
          .isEqualTo("1");
      assertThat(client.call("GET", key)).isEqualTo("new");
    }
    String metrics = proxy.admin("/metrics");
    assertThat(metrics)
        .containsPattern("switchboard_cluster_redirects_total\\{kind=\"ask\",?\\} [1-9]");
    assertThat(metrics)
        .containsPattern("switchboard_cluster_redirects_total\\{kind=\"moved\",?\\} [1-9]");
  }

  @Test
  void subscriptionsHearPublishFromAnyShardAndShardChannelsTheirShard() throws Exception {
    try (RespClient listener = client();
        RespClient sharded = client();
        RespClient publisher = client()) {
      assertThat(listener.call("SUBSCRIBE", "it:news"))
          .isEqualTo(List.of("subscribe", "it:news", 1L));
      assertThat((Long) publisher.call("PUBLISH", "it:news", "hello")).isGreaterThanOrEqualTo(1L);
      assertThat(listener.read()).isEqualTo(List.of("message", "it:news", "hello"));

      // Channels first, then shard channels: the connection moves to their shard, keeping both.
      assertThat(sharded.call("SUBSCRIBE", "it:plain"))
          .isEqualTo(List.of("subscribe", "it:plain", 1L));
      for (String tag : KEY_PER_SHARD) {
        try (RespClient other = client()) {
          String channel = tag + "orders";
          assertThat(other.call("SSUBSCRIBE", channel))
              .isEqualTo(List.of("ssubscribe", channel, 1L));
          assertThat(publisher.call("SPUBLISH", channel, "o1")).isEqualTo(1L);
          assertThat(other.read()).isEqualTo(List.of("smessage", channel, "o1"));
        }
      }
      assertThat(sharded.call("SSUBSCRIBE", "{b}orders"))
          .isEqualTo(List.of("ssubscribe", "{b}orders", 1L));
      assertThat(publisher.call("SPUBLISH", "{b}orders", "o2")).isEqualTo(1L);
      assertThat(sharded.read()).isEqualTo(List.of("smessage", "{b}orders", "o2"));
      assertThat((Long) publisher.call("PUBLISH", "it:plain", "p1")).isGreaterThanOrEqualTo(1L);
      assertThat(sharded.read()).isEqualTo(List.of("message", "it:plain", "p1"));
      assertThat(sharded.call("SSUBSCRIBE", "{c}orders"))
          .isInstanceOf(RespValue.Error.class)
          .asString()
          .contains("another shard");
    }
  }

  @Test
  void replicatedWriteAcksWaitOnEachShardsOwnPrimary() throws Exception {
    java.util.Map<String, Long> before = new java.util.HashMap<>();
    for (RedisNode primary : cluster.primaries()) {
      before.put(primary.name(), waits(primary));
    }
    try (TestProxy replicated =
            TestProxy.cluster(cluster, "switchboard.failover.write-ack = replicated\n");
        RespClient client = RespClient.connect(replicated.address(), Duration.ofSeconds(10))) {
      replicated.awaitPrimary();
      for (String tag : KEY_PER_SHARD) {
        assertThat(client.call("SET", tag + "acked", "1")).isEqualTo("OK");
      }
    }
    for (RedisNode primary : cluster.primaries()) {
      assertThat(waits(primary))
          .as(primary.name() + " ran WAIT")
          .isGreaterThan(before.get(primary.name()));
    }
  }

  private static long waits(RedisNode node) throws Exception {
    return ServerStats.calls(node, "wait");
  }

  @Test
  void redisCliInClusterModeWorksThroughTheOneAddress() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        RedisToolsIT.onPath("redis-cli"), "redis-cli is not installed");
    String port = Integer.toString(proxy.port());
    for (String tag : KEY_PER_SHARD) {
      assertThat(RedisToolsIT.run("redis-cli", "-c", "-p", port, "SET", tag + "cli", "c"))
          .isEqualTo("OK");
      assertThat(RedisToolsIT.run("redis-cli", "-c", "-p", port, "GET", tag + "cli"))
          .isEqualTo("c");
    }
    assertThat(RedisToolsIT.run("redis-cli", "-p", port, "--cluster", "check", "127.0.0.1:" + port))
        .contains("[OK] All 16384 slots covered.");
  }

  @Test
  void shardChannelsFollowTheirSlotWhenItMoves() throws Exception {
    String channel = "{moving}news";
    int slot = io.switchboard.routing.KeySlot.of(channel);
    RedisNode from = owner(channel);
    RedisNode to = cluster.primaries().stream().filter(n -> n != from).findFirst().orElseThrow();
    try (RespClient subscriber = client();
        RespClient publisher = client()) {
      assertThat(subscriber.call("SSUBSCRIBE", channel))
          .isEqualTo(List.of("ssubscribe", channel, 1L));
      startMoving(slot, from, to);
      finishMoving(slot, to);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Long.valueOf(1).equals(publisher.call("SPUBLISH", channel, "moved")));
      assertThat(subscriber.read())
          .as("no sunsubscribe reaches the client: the subscription moved with its slot")
          .isEqualTo(List.of("smessage", channel, "moved"));
    }
  }

  @Test
  void aTransactionWhoseSlotMovedWhileQueuedRunsOnTheNewOwner() throws Exception {
    String key = "{txmove}k";
    int slot = io.switchboard.routing.KeySlot.of(key);
    RedisNode from = owner(key);
    RedisNode to = cluster.primaries().stream().filter(n -> n != from).findFirst().orElseThrow();
    try (RespClient client = client()) {
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", key, "v")).isEqualTo("QUEUED");
      assertThat(client.call("INCR", "{txmove}n")).isEqualTo("QUEUED");
      startMoving(slot, from, to);
      finishMoving(slot, to);
      // The old owner answers EXEC with MOVED; the proxy builds the transaction again there.
      assertThat(client.call("EXEC")).isEqualTo(List.of("OK", 1L));
      assertThat(to.call("GET", key)).isEqualTo("v");
    }
  }

  @Test
  void aScanStillReturnsKeysThatMovedIntoAShardItHadAlreadyScanned() throws Exception {
    RedisNode first = ownerOfSlotZero();
    String tag = tagOffShard(first, "sm");
    assertThat(tag).as("a tag on another shard than slot 0's").isNotNull();
    RedisNode source = owner(tag + "probe");
    int slot = io.switchboard.routing.KeySlot.of(tag);
    try (RespClient client = client()) {
      for (int i = 0; i < 20; i++) {
        client.call("SET", tag + "moving:" + i, "v");
      }
      // Slot 0's shard comes first: scanned whole (COUNT is large), the cursor moves on.
      List<?> page =
          (List<?>) client.call("SCAN", "0", "MATCH", tag + "moving:*", "COUNT", "100000");
      Set<String> seen = new HashSet<>();
      for (Object key : (List<?>) page.get(1)) {
        seen.add((String) key);
      }
      String cursor = (String) page.get(0);
      assertThat(seen).as("none on the first shard yet").isEmpty();
      // Now the keys move into that first shard, already scanned.
      startMoving(slot, source, first);
      migrateKeys(source, first, tag + "moving:", 20);
      finishMoving(slot, first);
      assertThat(client.call("GET", tag + "moving:0")).isEqualTo("v"); // MOVED: the map refreshes
      String single = "\"" + slot + "-" + slot + "\"";
      await().atMost(Duration.ofSeconds(10)).until(() -> proxy.admin("/topology").contains(single));
      scanToTheEnd(client, cursor, tag + "moving:*", seen);
      assertThat(seen).as("every key, though it moved behind the scan").hasSize(20);
    }
  }

  @Test
  void aScanEndingWhileASlotIsStillMigratingReturnsTheKeysThatMovedBehindIt() throws Exception {
    RedisNode first = ownerOfSlotZero();
    String tag = tagOffShard(first, "mm");
    RedisNode source = owner(tag + "probe");
    int slot = io.switchboard.routing.KeySlot.of(tag);
    try (RespClient client = client()) {
      for (int i = 0; i < 20; i++) {
        client.call("SET", tag + "k:" + i, "v");
      }
      List<?> page = (List<?>) client.call("SCAN", "0", "MATCH", tag + "k:*", "COUNT", "100000");
      String cursor = (String) page.get(0);
      Set<String> seen = new HashSet<>();
      assertThat((List<?>) page.get(1)).as("none on the first shard yet").isEmpty();
      // The keys move into the first shard, already scanned; the slot stays MIGRATING (no owner
      // changes hands yet), as during a long `redis-cli --cluster reshard`.
      startMoving(slot, source, first);
      migrateKeys(source, first, tag + "k:", 20);
      try {
        scanToTheEnd(client, cursor, tag + "k:*", seen);
        assertThat(seen).as("every key, though it moved behind the scan").hasSize(20);
      } finally {
        finishMoving(slot, first);
      }
    }
  }

  @Test
  void aPipelineAcrossShardsKeepsEachKeysOrderWhileItsSlotMoves() throws Exception {
    RedisNode first = ownerOfSlotZero();
    String moving = tagOffShard(first, "po") + "ctr";
    RedisNode source = owner(moving);
    String staying = tagOffShard(source, "ps") + "ctr";
    int slot = io.switchboard.routing.KeySlot.of(moving);
    RedisNode target = cluster.primaries().stream().filter(n -> n != source).findFirst().get();
    java.util.concurrent.atomic.AtomicReference<Throwable> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread mover =
        new Thread(
            () -> {
              try {
                Thread.sleep(200);
                startMoving(slot, source, target); // the key is still on the source: no ASK
                Thread.sleep(100);
                Object migrated =
                    source.call(
                        "MIGRATE",
                        "127.0.0.1",
                        Integer.toString(target.port()),
                        moving,
                        "0",
                        "5000");
                assertThat(migrated).isEqualTo("OK");
                Thread.sleep(100); // ASK now, then MOVED once the slot is the target's
                finishMoving(slot, target);
              } catch (Throwable e) {
                failed.set(e);
              }
            });
    long expectedMoving = 0;
    long expectedStaying = 0;
    double redirectsBefore = proxy.metric("switchboard_cluster_redirects_total");
    try (RespClient client = client()) {
      client.call("DEL", moving, staying);
      mover.start();
      long until = System.nanoTime() + Duration.ofMillis(1200).toNanos();
      while (System.nanoTime() < until || mover.isAlive()) {
        for (int i = 0; i < 32; i++) {
          client.send(RespClient.encode("INCR", moving));
          client.send(RespClient.encode("INCR", staying));
        }
        for (int i = 0; i < 32; i++) {
          assertThat(client.read()).as("INCR of the moving key").isEqualTo(++expectedMoving);
          assertThat(client.read()).as("INCR on the other shard").isEqualTo(++expectedStaying);
        }
      }
      mover.join();
    }
    assertThat(failed.get()).as("the slot move").isNull();
    assertThat(expectedMoving).as("INCRs through the move").isGreaterThan(100);
    assertThat(proxy.metric("switchboard_cluster_redirects_total"))
        .as("ASK and MOVED met mid-pipeline")
        .isGreaterThan(redirectsBefore);
  }

  /**
   * MIGRATE of {@code prefix}0 to {@code prefix}{count-1} from {@code source} to {@code target}.
   */
  private static void migrateKeys(RedisNode source, RedisNode target, String prefix, int count)
      throws Exception {
    List<Object> migrate =
        new ArrayList<>(
            List.of(
                "MIGRATE", "127.0.0.1", Integer.toString(target.port()), "", "0", "5000", "KEYS"));
    for (int i = 0; i < count; i++) {
      migrate.add(prefix + i);
    }
    assertThat(source.call(migrate.toArray())).isEqualTo("OK");
  }

  /** Goes on with a SCAN from {@code cursor} until it answers 0, adding what it returns. */
  private static void scanToTheEnd(RespClient client, String cursor, String match, Set<String> seen)
      throws Exception {
    int calls = 0;
    while (!cursor.equals("0")) {
      List<?> page = (List<?>) client.call("SCAN", cursor, "MATCH", match, "COUNT", "100000");
      cursor = (String) page.get(0);
      for (Object key : (List<?>) page.get(1)) {
        seen.add((String) key);
      }
      assertThat(++calls).isLessThan(100);
    }
  }

  /**
   * A hash tag ({prefix}1}, {prefix}2}, ...) whose slot another primary than {@code shard} owns.
   */
  private static String tagOffShard(RedisNode shard, String prefix) throws Exception {
    for (int i = 1; i < 50; i++) {
      String tag = "{" + prefix + i + "}";
      if (owner(tag + "probe") != shard) {
        return tag;
      }
    }
    return null;
  }

  /** The primary that holds slot 0, the first shard a scan visits. */
  private static RedisNode ownerOfSlotZero() throws Exception {
    for (RedisNode primary : cluster.primaries()) {
      for (Object range : (List<?>) primary.call("CLUSTER", "SLOTS")) {
        List<?> r = (List<?>) range;
        if ((Long) r.get(0) == 0L && ((List<?>) r.get(2)).get(1).equals((long) primary.port())) {
          return primary;
        }
      }
    }
    throw new AssertionError("no primary holds slot 0");
  }

  @Test
  void waitCountsTheReplicasOfTheShardTheSessionWroteTo() throws Exception {
    RedisNode first = ownerOfSlotZero();
    String tag = tagOffShard(first, "w");
    assertThat(tag).isNotNull();
    RedisNode replica = cluster.replicaOf(owner(tag + "probe"));
    try (RespClient client = client()) {
      replica.signal("STOP");
      try {
        assertThat(client.call("SET", tag + "waited", "1")).isEqualTo("OK");
        assertThat(client.call("WAIT", "1", "300"))
            .as("the write's shard has its one replica stopped")
            .isEqualTo(0L);
      } finally {
        replica.signal("CONT");
      }
      assertThat(client.call("WAIT", "1", "5000")).isEqualTo(1L);
    }
  }

  /**
   * Whether the replica has run a GET: INFO commandstats counts calls, apart from rejected ones (a
   * replica without READONLY rejects reads with MOVED).
   */
  private static boolean servedReads(RedisNode replica) {
    try {
      return ServerStats.calls(replica, "get") > 0;
    } catch (Exception e) {
      return false;
    }
  }
}
