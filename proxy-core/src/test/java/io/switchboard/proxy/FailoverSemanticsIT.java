package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Session state that lives on a server connection survives a planned failover: a transaction begun
 * on the old primary finishes on the new one (or, if it used WATCH, fails as a conflict would), and
 * a subscription keeps delivering messages, all without the client reconnecting.
 */
class FailoverSemanticsIT {

  private LocalTopology topology;
  private TestProxy proxy;

  @BeforeEach
  void start() throws Exception {
    topology = LocalTopology.start(1, 1);
    proxy = TestProxy.start(topology, "");
    proxy.awaitPrimary();
    topology.awaitSentinelsSettled(Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    proxy.close();
    topology.close();
  }

  private RespClient client() throws Exception {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(20));
  }

  /** Fails over and waits until writes through the proxy land on the new primary. */
  private RedisNode failOver() throws Exception {
    RedisNode before = topology.currentPrimary();
    assertThat(topology.sentinels().get(0).call("SENTINEL", "FAILOVER", LocalTopology.MASTER))
        .isEqualTo("OK");
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> topology.currentPrimary() != before);
    RedisNode after = topology.currentPrimary();
    try (RespClient probe = client()) {
      TestProxy.awaitWritesReach(probe, after, "it:probe");
    }
    return after;
  }

  @Test
  void aTransactionBegunBeforeAFailoverCommitsOnTheNewPrimary() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", "it:tx:a", "1")).isEqualTo("QUEUED");
      assertThat(client.call("INCR", "it:tx:counter")).isEqualTo("QUEUED");
      RedisNode newPrimary = failOver();
      assertThat(client.call("SET", "it:tx:b", "2")).isEqualTo("QUEUED");
      assertThat(client.call("EXEC")).isEqualTo(List.of("OK", 1L, "OK"));
      assertThat(newPrimary.call("GET", "it:tx:a")).isEqualTo("1");
      assertThat(newPrimary.call("GET", "it:tx:counter")).isEqualTo("1");
      assertThat(newPrimary.call("GET", "it:tx:b")).isEqualTo("2");
      assertThat(client.call("GET", "it:tx:b")).as("the session goes on").isEqualTo("2");
    }
  }

  @Test
  void aWatchedTransactionInterruptedByAFailoverFailsAsAConflictWould() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("SET", "it:watched", "before")).isEqualTo("OK");
      assertThat(client.call("WATCH", "it:watched")).isEqualTo("OK");
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", "it:watched", "inside")).isEqualTo("QUEUED");
      // This test is about WATCH, not replication: let the replica have "before" first. (Twice,
      // a failover started within ~60 ms of the topology coming up promoted a replica that
      // lacked it; Sentinel does not wait for a replica to catch up.)
      RedisNode replica = topology.replicas().get(0);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "before".equals(replica.call("GET", "it:watched")));
      RedisNode newPrimary = failOver();
      assertThat(client.call("EXEC")).as("nil: the watch could not survive").isNull();
      assertThat(newPrimary.call("GET", "it:watched"))
          .as("the queued SET did not run")
          .isEqualTo("before");
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", "it:watched", "again")).isEqualTo("QUEUED");
      assertThat(client.call("EXEC")).isEqualTo(List.of("OK"));
    }
  }

  /** The null invalidation: every key the client cached is invalid. */
  private static List<Object> flushPush() {
    List<Object> push = new java.util.ArrayList<>();
    push.add("invalidate");
    push.add(null);
    return push;
  }

  @Test
  void aTrackingClientIsFlushedByAFailoverAndTrackedAgainAfterIt() throws Exception {
    try (RespClient client = client();
        RespClient writer = client()) {
      client.call("HELLO", "3");
      assertThat(client.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
      writer.call("SET", "it:cached", "before");
      assertThat(client.call("GET", "it:cached")).isEqualTo("before");
      failOver();
      // The connection the read went through is gone with its node's old role, and the server
      // with it forgot what it tracked: the client hears that every key is invalid.
      List<Object> flush = flushPush();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> flush.equals(client.readWithin(Duration.ofMillis(200))));
      assertThat(client.call("GET", "it:cached")).isEqualTo("before");
      writer.call("SET", "it:cached", "after");
      Object push;
      do {
        push = client.readWithin(Duration.ofSeconds(10));
      } while (flush.equals(push));
      assertThat(push).isEqualTo(List.of("invalidate", List.of("it:cached")));
      assertThat(client.call("GET", "it:cached")).isEqualTo("after");
    }
  }

  @Test
  void aBroadcastTrackingClientIsFlushedByAFailoverAndHearsTheNewPrimary() throws Exception {
    try (RespClient client = client();
        RespClient writer = client()) {
      client.call("HELLO", "3");
      assertThat(client.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "it:bc:"))
          .isEqualTo("OK");
      writer.call("SET", "it:bc:a", "before");
      assertThat(client.readWithin(Duration.ofSeconds(5)))
          .isEqualTo(List.of("invalidate", List.of("it:bc:a")));
      failOver();
      List<Object> flush = flushPush();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> flush.equals(client.readWithin(Duration.ofMillis(200))));
      // Written until heard: the group connects to the new primary right after the topology moves.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                writer.call("SET", "it:bc:a", "after");
                Object push = client.readWithin(Duration.ofMillis(200));
                return List.of("invalidate", List.of("it:bc:a")).equals(push);
              });
    }
  }

  @Test
  void aSubscriptionKeepsDeliveringAcrossAFailover() throws Exception {
    try (RespClient subscriber = client();
        RespClient publisher = client()) {
      assertThat(subscriber.call("SUBSCRIBE", "it:news"))
          .isEqualTo(List.of("subscribe", "it:news", 1L));
      assertThat(subscriber.call("PSUBSCRIBE", "it:pat:*"))
          .isEqualTo(List.of("psubscribe", "it:pat:*", 2L));
      failOver();
      // Published until one arrives: the subscription moves right after the topology does.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                publisher.call("PUBLISH", "it:news", "after");
                return subscriber.readWithin(Duration.ofMillis(200)) != null;
              });
      publisher.call("PUBLISH", "it:pat:x", "patterned");
      Object message;
      do {
        message = subscriber.readWithin(Duration.ofSeconds(5));
      } while (message instanceof List<?> fields && fields.get(0).equals("message"));
      assertThat(message).isEqualTo(List.of("pmessage", "it:pat:*", "it:pat:x", "patterned"));
      assertThat(subscriber.call("PING")).isEqualTo(List.of("pong", ""));
    }
  }

  @Test
  void withReplicatedWriteAcksAWriteNoReplicaConfirmsIsNotAcknowledged() throws Exception {
    try (TestProxy replicated =
            TestProxy.start(
                topology,
                "switchboard.failover.write-ack = replicated\n"
                    + "switchboard.failover.ack-timeout = 300ms\n");
        RespClient client = RespClient.connect(replicated.address(), Duration.ofSeconds(20))) {
      replicated.awaitPrimary();
      assertThat(client.call("SET", "it:acked", "1")).isEqualTo("OK");
      RedisNode replica = topology.replicas().get(0);
      replica.signal("STOP");
      try {
        long started = System.nanoTime();
        Object reply = client.call("SET", "it:acked", "2");
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(reply).isInstanceOf(io.switchboard.proxy.resp.RespValue.Error.class);
        assertThat(((io.switchboard.proxy.resp.RespValue.Error) reply).message())
            .startsWith("NOREPLICAS Switchboard: the write ran on the primary, but only 0 of 1");
        assertThat(waitedMs).as("waited for WAIT's timeout").isGreaterThanOrEqualTo(250);
      } finally {
        replica.signal("CONT");
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "OK".equals(client.call("SET", "it:acked", "3")));
    }
  }

  @Test
  void aWriteThatMeetsADemotedPrimaryIsHeldNeverAnsweredReadonly() throws Exception {
    RedisNode primary = topology.primary();
    RedisNode replica = topology.replicas().get(0);
    try (RespClient client = client()) {
      assertThat(client.call("SET", "it:demoted", "0")).isEqualTo("OK");
      // Demote the primary behind Sentinel's back: the proxy learns it only from the reply.
      assertThat(replica.call("REPLICAOF", "NO", "ONE")).isEqualTo("OK");
      assertThat(primary.call("REPLICAOF", "127.0.0.1", Integer.toString(replica.port())))
          .isEqualTo("OK");
      client.send(RespClient.encode("SET", "it:demoted", "1"));
      assertThat(client.readWithin(Duration.ofMillis(700)))
          .as("held while no primary is confirmed")
          .isNull();
      // Put the primary back; ROLE confirms it and the held write runs there.
      assertThat(primary.call("REPLICAOF", "NO", "ONE")).isEqualTo("OK");
      assertThat(replica.call("REPLICAOF", "127.0.0.1", Integer.toString(primary.port())))
          .isEqualTo("OK");
      assertThat(client.readWithin(Duration.ofSeconds(10))).isEqualTo("OK");
      assertThat(primary.call("GET", "it:demoted")).isEqualTo("1");
    }
  }

  @Test
  void jedisAndLettuceKeepWorkingThroughAFailoverWithoutAnError() throws Exception {
    RedisClient lettuce =
        RedisClient.create(
            RedisURI.builder()
                .withHost("127.0.0.1")
                .withPort(proxy.port())
                .withTimeout(Duration.ofSeconds(20))
                .build());
    java.util.concurrent.atomic.AtomicBoolean running =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.List<Throwable> failures =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    long[] jedisCount = {0};
    long[] lettuceCount = {0};
    try (Jedis jedis = new Jedis("127.0.0.1", proxy.port(), 20_000);
        StatefulRedisConnection<String, String> connection = lettuce.connect()) {
      Thread jedisLoop =
          new Thread(
              () -> {
                try {
                  while (running.get()) {
                    jedisCount[0] = jedis.incr("it:clients:jedis");
                  }
                } catch (RuntimeException e) {
                  failures.add(e);
                }
              });
      Thread lettuceLoop =
          new Thread(
              () -> {
                try {
                  while (running.get()) {
                    lettuceCount[0] = connection.sync().incr("it:clients:lettuce");
                  }
                } catch (RuntimeException e) {
                  failures.add(e);
                }
              });
      jedisLoop.start();
      lettuceLoop.start();
      RedisNode newPrimary = failOver();
      Thread.sleep(200);
      running.set(false);
      jedisLoop.join(30_000);
      lettuceLoop.join(30_000);
      assertThat(failures).as("exceptions seen by the clients").isEmpty();
      assertThat(newPrimary.call("GET", "it:clients:jedis"))
          .isEqualTo(Long.toString(jedisCount[0]));
      assertThat(newPrimary.call("GET", "it:clients:lettuce"))
          .isEqualTo(Long.toString(lettuceCount[0]));
      assertThat(jedisCount[0]).isPositive();
      assertThat(lettuceCount[0]).isPositive();
    } finally {
      lettuce.shutdown();
    }
  }

  @Test
  void aBlockingPopHeldDuringAFailoverBlocksOnTheNewPrimary() throws Exception {
    RedisNode frozen = topology.primary();
    try (RespClient popper = client();
        RespClient pusher = client()) {
      assertThat(popper.call("PING")).isEqualTo("PONG");
      frozen.signal("STOP");
      try {
        // Its connection's handshake cannot finish on a frozen primary: the pop waits unsent.
        popper.send(RespClient.encode("BLPOP", "it:jobs", "0"));
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> topology.currentPrimary() != frozen);
      } finally {
        frozen.signal("CONT");
      }
      RedisNode newPrimary = topology.currentPrimary();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  Long.valueOf(1)
                      .equals(
                          newPrimary
                              .call("INFO", "clients")
                              .toString()
                              .lines()
                              .filter(line -> line.startsWith("blocked_clients:"))
                              .map(
                                  line ->
                                      Long.valueOf(
                                          line.substring("blocked_clients:".length()).trim()))
                              .findFirst()
                              .orElse(0L)));
      assertThat(pusher.call("RPUSH", "it:jobs", "job-1")).isEqualTo(1L);
      assertThat(popper.readWithin(Duration.ofSeconds(10))).isEqualTo(List.of("it:jobs", "job-1"));
    }
  }

  @Test
  void withEverySentinelDownTheLastKnownTopologyKeepsServing() throws Exception {
    try (RespClient client = client()) {
      assertThat(client.call("SET", "it:degraded", "1")).isEqualTo("OK");
      topology.sentinels().get(0).kill();
      Thread.sleep(2500); // several reconciles find no Sentinel
      assertThat(client.call("SET", "it:degraded", "2")).isEqualTo("OK");
      assertThat(client.call("GET", "it:degraded")).isEqualTo("2");
      assertThat(topology.primary().call("GET", "it:degraded")).isEqualTo("2");
    }
  }
}
