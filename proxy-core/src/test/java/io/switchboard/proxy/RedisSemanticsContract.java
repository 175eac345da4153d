package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What a client can see of Redis, written once and run against two targets: Switchboard in front of
 * the shared topology, and that topology's primary directly. Any difference between the two runs is
 * something the proxy changed that a client can observe. Topics of their own are in the interfaces
 * it implements.
 */
abstract class RedisSemanticsContract
    implements ConnectionCommandsContract,
        ServerCommandsContract,
        ClientListContract,
        TrackingContract {

  /** Where the client under test connects. */
  @Override
  public abstract HostAndPort target();

  private final String prefix = "it:sem:" + UUID.randomUUID() + ":";

  RespClient client() throws IOException {
    return RespClient.connect(target(), Duration.ofSeconds(10));
  }

  private String key(String name) {
    return prefix + name;
  }

  private static RespValue.Error error(Object reply) {
    assertThat(reply).isInstanceOf(RespValue.Error.class);
    return (RespValue.Error) reply;
  }

  @Test
  void aTransactionQueuesAndRunsItsCommandsTogether() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SET", key("tx"), "1")).isEqualTo("QUEUED");
      assertThat(c.call("INCR", key("tx"))).isEqualTo("QUEUED");
      assertThat(c.call("PING")).isEqualTo("QUEUED");
      assertThat(c.call("EXEC")).isEqualTo(List.of("OK", 2L, "PONG"));

      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SET", key("discarded"), "x")).isEqualTo("QUEUED");
      assertThat(c.call("DISCARD")).isEqualTo("OK");
      assertThat(c.call("GET", key("discarded"))).isNull();

      assertThat(error(c.call("EXEC")).message()).isEqualTo("ERR EXEC without MULTI");
      assertThat(error(c.call("DISCARD")).message()).isEqualTo("ERR DISCARD without MULTI");
    }
  }

  @Test
  void aPipelinedTransactionAnswersInOrder() throws IOException {
    try (RespClient c = client()) {
      c.send(
          concat(
              RespClient.encode("SET", key("p"), "0"),
              RespClient.encode("MULTI"),
              RespClient.encode("INCR", key("p")),
              RespClient.encode("INCR", key("p")),
              RespClient.encode("EXEC"),
              RespClient.encode("GET", key("p"))));
      assertThat(c.read()).isEqualTo("OK");
      assertThat(c.read()).isEqualTo("OK");
      assertThat(c.read()).isEqualTo("QUEUED");
      assertThat(c.read()).isEqualTo("QUEUED");
      assertThat(c.read()).isEqualTo(List.of(1L, 2L));
      assertThat(c.read()).isEqualTo("2");
    }
  }

  @Test
  void aWatchedKeyChangedByAnotherClientAbortsExec() throws IOException {
    try (RespClient a = client();
        RespClient b = client()) {
      assertThat(a.call("SET", key("w"), "start")).isEqualTo("OK");
      assertThat(a.call("WATCH", key("w"))).isEqualTo("OK");
      assertThat(a.call("GET", key("w"))).isEqualTo("start");
      assertThat(b.call("SET", key("w"), "theirs")).isEqualTo("OK");
      assertThat(a.call("MULTI")).isEqualTo("OK");
      assertThat(a.call("SET", key("w"), "mine")).isEqualTo("QUEUED");
      assertThat(a.call("EXEC")).as("aborted by the other client's write").isNull();
      assertThat(a.call("GET", key("w"))).isEqualTo("theirs");

      assertThat(a.call("WATCH", key("w"))).isEqualTo("OK");
      assertThat(a.call("MULTI")).isEqualTo("OK");
      assertThat(a.call("SET", key("w"), "mine")).isEqualTo("QUEUED");
      assertThat(a.call("EXEC")).isEqualTo(List.of("OK"));

      assertThat(a.call("WATCH", key("w"))).isEqualTo("OK");
      assertThat(a.call("UNWATCH")).isEqualTo("OK");
      assertThat(b.call("SET", key("w"), "theirs again")).isEqualTo("OK");
      assertThat(a.call("MULTI")).isEqualTo("OK");
      assertThat(a.call("GET", key("w"))).isEqualTo("QUEUED");
      assertThat(a.call("EXEC")).as("UNWATCH forgot the key").isEqualTo(List.of("theirs again"));
    }
  }

  @Test
  void anErrorWhileQueueingAbortsTheWholeTransaction() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SET", key("abort"), "1")).isEqualTo("QUEUED");
      assertThat(error(c.call("SET", key("abort"))).message())
          .startsWith("ERR wrong number of arguments");
      assertThat(error(c.call("EXEC")).message()).startsWith("EXECABORT");
      assertThat(c.call("GET", key("abort"))).isNull();
    }
  }

  @Test
  void selectInsideATransactionTakesEffectWhenItRuns() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SELECT", "5")).isEqualTo("QUEUED");
      assertThat(c.call("SET", key("db5"), "v")).isEqualTo("QUEUED");
      assertThat(c.call("EXEC")).isEqualTo(List.of("OK", "OK"));
      assertThat(c.call("GET", key("db5"))).isEqualTo("v");
      assertThat(c.call("SELECT", "0")).isEqualTo("OK");
      assertThat(c.call("GET", key("db5"))).isNull();
    }
  }

  @Test
  void aBlockedPopWaitsForAPushWithoutStallingOtherClients() throws Exception {
    try (RespClient blocked = client();
        RespClient other = client();
        RespClient pusher = client()) {
      blocked.send(RespClient.encode("BLPOP", key("queue"), "10"));
      for (int i = 0; i < 50; i++) {
        assertThat(other.call("SET", key("busy"), i)).isEqualTo("OK");
        assertThat(other.call("GET", key("busy"))).isEqualTo(String.valueOf(i));
      }
      assertThat(pusher.call("LPUSH", key("queue"), "job")).isEqualTo(1L);
      assertThat(blocked.read()).isEqualTo(List.of(key("queue"), "job"));
      assertThat(blocked.call("BLPOP", key("empty"), "0.1")).isNull();
      assertThat(blocked.call("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void waitCountsTheSessionsOwnWrites() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("SET", key("wait"), "1")).isEqualTo("OK");
      assertThat(c.call("WAIT", "2", "5000")).isEqualTo(2L);
    }
  }

  @Test
  void pubSubInResp2() throws Exception {
    String ch1 = key("ch1");
    String ch2 = key("ch2");
    try (RespClient sub = client();
        RespClient pub = client()) {
      sub.send(RespClient.encode("SUBSCRIBE", ch1, ch2));
      assertThat(sub.read()).isEqualTo(List.of("subscribe", ch1, 1L));
      assertThat(sub.read()).isEqualTo(List.of("subscribe", ch2, 2L));
      assertThat(sub.call("PING")).isEqualTo(List.of("pong", ""));
      assertThat(sub.call("PING", "hi")).isEqualTo(List.of("pong", "hi"));
      assertThat(error(sub.call("GET", "x")).message())
          .isEqualTo(
              "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT /"
                  + " RESET are allowed in this context");
      publishUntilReceived(pub, sub, ch1, "hello");

      assertThat(sub.call("PSUBSCRIBE", key("ch*")))
          .isEqualTo(List.of("psubscribe", key("ch*"), 3L));
      assertThat(pub.call("PUBLISH", ch2, "both")).isInstanceOf(Long.class);
      List<Object> got = List.of(sub.read(), sub.read());
      assertThat(got)
          .containsExactly(
              List.of("message", ch2, "both"), List.of("pmessage", key("ch*"), ch2, "both"));

      sub.send(RespClient.encode("UNSUBSCRIBE"));
      Set<Object> unsubscribed = new HashSet<>();
      unsubscribed.add(((List<?>) sub.read()).get(1));
      unsubscribed.add(((List<?>) sub.read()).get(1));
      assertThat(unsubscribed).containsExactlyInAnyOrder(ch1, ch2);
      assertThat(sub.call("PUNSUBSCRIBE")).isEqualTo(List.of("punsubscribe", key("ch*"), 0L));
      assertThat(sub.call("SET", key("after"), "sub")).isEqualTo("OK");
      assertThat(sub.call("UNSUBSCRIBE", ch1)).isEqualTo(List.of("unsubscribe", ch1, 0L));
    }
  }

  @Test
  void pubSubInResp3DeliversPushesBesideOrdinaryReplies() throws Exception {
    String ch = key("push");
    try (RespClient sub = client();
        RespClient pub = client()) {
      assertThat(sub.call("HELLO", "3")).isInstanceOf(java.util.Map.class);
      assertThat(sub.call("SUBSCRIBE", ch)).isEqualTo(List.of("subscribe", ch, 1L));
      assertThat(sub.call("SET", key("r3"), "v")).isEqualTo("OK");
      assertThat(sub.call("GET", key("r3"))).isEqualTo("v");
      publishUntilReceived(pub, sub, ch, "pushed");
      assertThat(sub.call("UNSUBSCRIBE", ch)).isEqualTo(List.of("unsubscribe", ch, 0L));
    }
  }

  @Test
  void publishAndPubsubCountEverySubscriberAsOneRedisWould() throws Exception {
    String channel = key("counted");
    try (RespClient plain = client();
        RespClient pattern = client();
        RespClient pub = client()) {
      long patternsBefore = (Long) pub.call("PUBSUB", "NUMPAT");
      assertThat(plain.call("SUBSCRIBE", channel)).isEqualTo(List.of("subscribe", channel, 1L));
      assertThat(pattern.call("PSUBSCRIBE", key("count*")))
          .isEqualTo(List.of("psubscribe", key("count*"), 1L));
      assertThat(pub.call("PUBLISH", channel, "hi")).as("subscribers that heard it").isEqualTo(2L);
      assertThat(pub.call("PUBSUB", "NUMSUB", channel)).isEqualTo(List.of(channel, 1L));
      assertThat(pub.call("PUBSUB", "NUMPAT")).isEqualTo(patternsBefore + 1);
      assertThat(pub.call("PUBSUB", "CHANNELS", channel)).isEqualTo(List.of(channel));
      assertThat(plain.read()).isEqualTo(List.of("message", channel, "hi"));
      assertThat(pattern.read()).isEqualTo(List.of("pmessage", key("count*"), channel, "hi"));
    }
    String shard = key("counted-shard");
    try (RespClient subscriber = client();
        RespClient pub = client()) {
      assertThat(subscriber.call("SSUBSCRIBE", shard)).isEqualTo(List.of("ssubscribe", shard, 1L));
      assertThat(pub.call("SPUBLISH", shard, "hi")).isEqualTo(1L);
      assertThat(pub.call("PUBSUB", "SHARDNUMSUB", shard)).isEqualTo(List.of(shard, 1L));
      assertThat(subscriber.read()).isEqualTo(List.of("smessage", shard, "hi"));
    }
  }

  /**
   * Publishes until the message comes: a subscription on a replica (a listener's opt-in) hears a
   * publish only once replication carries it.
   */
  private static void publishUntilReceived(
      RespClient pub, RespClient sub, String channel, String message) throws IOException {
    Object received = null;
    for (int attempt = 0; attempt < 50 && received == null; attempt++) {
      pub.call("PUBLISH", channel, message);
      received = readWithin(sub, 200);
    }
    assertThat(received).isEqualTo(List.of("message", channel, message));
    // Later attempts may have been delivered too; drain them.
    while (readWithin(sub, 300) != null) {
      // drained
    }
  }

  private static Object readWithin(RespClient client, int millis) throws IOException {
    return client.readWithin(Duration.ofMillis(millis));
  }

  @Test
  void scriptsRunByBodyAndByShaAndReadOnlyScriptsToo() throws IOException {
    try (RespClient c = client()) {
      assertThat(
              c.call(
                  "EVAL", "return redis.call('SET', KEYS[1], ARGV[1])", "1", key("lua"), "value"))
          .isEqualTo("OK");
      Object sha = c.call("SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])");
      assertThat(sha).isInstanceOf(String.class);
      assertThat(c.call("EVALSHA_RO", sha, "1", key("lua"))).isEqualTo("value");
      assertThat(c.call("EVALSHA", sha, "1", key("lua"))).isEqualTo("value");
      assertThat(c.call("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", key("lua")))
          .isEqualTo("value");
      assertThat(error(c.call("EVALSHA_RO", "0".repeat(40), "0")).message()).startsWith("NOSCRIPT");
    }
  }

  @Test
  void aScriptReplyNestedAThousandDeepArrivesWholeAndThePipelineGoesOn() throws IOException {
    String nested =
        "local top = {} local at = top for i = 1, 999 do local inner = {} at[1] = inner at = inner"
            + " end return top";
    try (RespClient c = client()) {
      c.send(
          concat(
              RespClient.encode("EVAL", nested, "0"),
              RespClient.encode("SET", key("after-deep"), "1"),
              RespClient.encode("GET", key("after-deep"))));
      Object level = c.read();
      int depth = 0;
      while (level instanceof List<?> list && !list.isEmpty()) {
        depth++;
        level = list.get(0);
      }
      assertThat(level).as("the innermost table").isEqualTo(List.of());
      assertThat(depth + 1).as("levels of nesting").isEqualTo(1000);
      assertThat(c.read()).isEqualTo("OK");
      assertThat(c.read()).isEqualTo("1");
    }
  }

  @Test
  void scriptFlushForgetsLoadedScripts() throws IOException {
    try (RespClient c = client()) {
      String body = "return '" + prefix + "'";
      Object sha = c.call("SCRIPT", "LOAD", body);
      assertThat(c.call("EVALSHA", sha, "0")).isEqualTo(prefix);
      assertThat(c.call("EVALSHA_RO", sha, "0")).isEqualTo(prefix);
      assertThat(c.call("SCRIPT", "FLUSH")).isEqualTo("OK");
      assertThat(error(c.call("EVALSHA", sha, "0")).message()).startsWith("NOSCRIPT");
      assertThat(error(c.call("EVALSHA_RO", sha, "0")).message()).startsWith("NOSCRIPT");
      assertThat(c.call("EVAL", body, "0")).isEqualTo(prefix);
    }
  }

  @Test
  void serverWideCommandsAnswerAsTheServerDoes() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("SET", key("dbsize"), "1")).isEqualTo("OK");
      assertThat(String.valueOf(c.call("INFO", "replication"))).contains("role:master");
      assertThat((Long) c.call("DBSIZE")).isPositive();
      assertThat(c.call("KEYS", key("dbsize"))).isEqualTo(List.of(key("dbsize")));
      assertThat(c.call("RANDOMKEY")).isNotNull();
      assertThat(c.call("COMMAND", "INFO", "GET")).asList().hasSize(1);
      assertThat(c.call("TYPE", key("dbsize"))).isEqualTo("string");
    }
  }

  @Test
  void resetEndsATransactionAndTheSessionsState() throws IOException {
    try (RespClient c = client()) {
      assertThat(c.call("SELECT", "3")).isEqualTo("OK");
      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SET", key("reset"), "x")).isEqualTo("QUEUED");
      assertThat(c.call("RESET")).isEqualTo("RESET");
      assertThat(error(c.call("EXEC")).message()).isEqualTo("ERR EXEC without MULTI");
      assertThat(c.call("GET", key("reset"))).isNull();
      assertThat(c.call("SELECT", "3")).isEqualTo("OK");
      assertThat(c.call("GET", key("reset"))).as("the transaction was dropped").isNull();
    }
  }

  @Test
  void functionsAndReadOnlyFunctionCalls() throws IOException {
    try (RespClient c = client()) {
      String lib = "lib" + UUID.randomUUID().toString().replace("-", "");
      String code =
          "#!lua name="
              + lib
              + "\nredis.register_function{function_name='"
              + lib
              + "_get', callback=function(keys) return redis.call('GET', keys[1]) end,"
              + " flags={'no-writes'}}";
      assertThat(c.call("FUNCTION", "LOAD", code)).isEqualTo(lib);
      assertThat(c.call("SET", key("fn"), "f")).isEqualTo("OK");
      assertThat(c.call("FCALL_RO", lib + "_get", "1", key("fn"))).isEqualTo("f");
      assertThat(c.call("FCALL", lib + "_get", "1", key("fn"))).isEqualTo("f");
      assertThat(c.call("FUNCTION", "DELETE", lib)).isEqualTo("OK");
    }
  }

  @Test
  void shardChannelsAndUnknownCommandsBehaveAsOnTheServer() throws IOException {
    String channel = key("shard");
    try (RespClient sub = client();
        RespClient pub = client()) {
      assertThat(sub.call("SSUBSCRIBE", channel)).isEqualTo(List.of("ssubscribe", channel, 1L));
      Object received = null;
      for (int attempt = 0; attempt < 50 && received == null; attempt++) {
        pub.call("SPUBLISH", channel, "s");
        received = readWithin(sub, 200);
      }
      assertThat(received).isEqualTo(List.of("smessage", channel, "s"));
      while (readWithin(sub, 300) != null) {
        // drain later attempts
      }
      assertThat(sub.call("SUNSUBSCRIBE")).isEqualTo(List.of("sunsubscribe", channel, 0L));
      assertThat(error(pub.call("NOSUCHCOMMAND", "x")).message())
          .isEqualTo("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ");
    }
  }

  @Test
  void aFullScanReturnsEveryKeyExactlyAsOneServerWould() {
    try (Jedis jedis = new Jedis(target().host(), target().port(), 10_000)) {
      Set<String> written = new HashSet<>();
      for (int i = 0; i < 300; i++) {
        jedis.set(key("scan:" + i), "v");
        written.add(key("scan:" + i));
      }
      Set<String> seen = new HashSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      ScanParams params = new ScanParams().match(prefix + "scan:*").count(20);
      do {
        ScanResult<String> page = jedis.scan(cursor, params);
        seen.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
      assertThat(seen).isEqualTo(written);
    }
  }

  @Test
  void everySessionReadsItsOwnWrites() throws Exception {
    int sessions = 8;
    int rounds = 1250; // 10,000 write-then-read pairs in all
    ExecutorService pool = Executors.newFixedThreadPool(sessions);
    try {
      List<Future<Integer>> stale = new ArrayList<>();
      for (int s = 0; s < sessions; s++) {
        String k = key("ryw:" + s);
        stale.add(
            pool.submit(
                () -> {
                  int misses = 0;
                  try (Jedis jedis = new Jedis(target().host(), target().port(), 10_000)) {
                    for (int i = 0; i < rounds; i++) {
                      jedis.set(k, Integer.toString(i));
                      if (!Integer.toString(i).equals(jedis.get(k))) {
                        misses++;
                      }
                    }
                  }
                  return misses;
                }));
      }
      int misses = 0;
      for (Future<Integer> f : stale) {
        misses += f.get(2, TimeUnit.MINUTES);
      }
      assertThat(misses).as("reads that missed the session's own write").isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void jedisAndLettuceWorkAsPlainStandaloneClients() throws Exception {
    try (Jedis jedis = new Jedis(target().host(), target().port(), 10_000)) {
      Transaction tx = jedis.multi();
      tx.set(key("jedis"), "1");
      tx.incr(key("jedis"));
      assertThat(tx.exec()).containsExactly("OK", 2L);
      jedis.watch(key("jedis"));
      Transaction watched = jedis.multi();
      watched.incr(key("jedis"));
      assertThat(watched.exec()).containsExactly(3L);
      jedis.rpush(key("jedis-list"), "y");
      assertThat(jedis.brpop(1, key("jedis-list"))).containsExactly(key("jedis-list"), "y");
      assertThat(jedis.waitReplicas(2, 5000)).isEqualTo(2L);
    }
    RedisClient lettuce =
        RedisClient.create(RedisURI.create("redis://" + target().host() + ":" + target().port()));
    try (StatefulRedisConnection<String, String> connection = lettuce.connect();
        StatefulRedisPubSubConnection<String, String> pubsub = lettuce.connectPubSub()) {
      RedisCommands<String, String> redis = connection.sync();
      assertThat(redis.multi()).isEqualTo("OK");
      redis.set(key("lettuce"), "a");
      redis.append(key("lettuce"), "b");
      TransactionResult result = redis.exec();
      assertThat(result.wasDiscarded()).isFalse();
      assertThat(redis.get(key("lettuce"))).isEqualTo("ab");
      String sha = redis.scriptLoad("return redis.call('GET', KEYS[1])");
      assertThat(
              (String)
                  redis.evalshaReadOnly(
                      sha, io.lettuce.core.ScriptOutputType.VALUE, new String[] {key("lettuce")}))
          .isEqualTo("ab");
      redis.rpush(key("lettuce-list"), "x");
      assertThat(redis.blpop(1, key("lettuce-list")).getValue()).isEqualTo("x");

      LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
      pubsub.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              messages.add(message);
            }
          });
      pubsub.sync().subscribe(key("lettuce-ch"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                redis.publish(key("lettuce-ch"), "hi");
                return messages.poll(200, TimeUnit.MILLISECONDS) != null;
              });
    } finally {
      lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
