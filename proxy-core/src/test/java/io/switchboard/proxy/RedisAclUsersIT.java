package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendPool;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * {@code auth.mode = redis}: the servers' own ACL users, defined on every node with ACL SETUSER as
 * an operator's users.acl would, log in through the proxy, and Redis enforces their rules itself.
 * The default user requires a password, as in a secured deployment.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisAclUsersIT {

  private static final String PASSWORD = "default-secret";
  private static final List<String> APP =
      List.of("on", ">app-pass", "~app:*", "&app:*", "+@all", "-flushall", "-flushdb");

  private static LocalTopology topology;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    topology = LocalTopology.start(1, 1, new LocalTopology.Security(PASSWORD, false));
    for (RedisNode node : topology.dataNodes()) {
      setUser(node, "app", APP);
    }
    // Users are per node and not replicated: this one exists on the primary only.
    setUser(topology.primary(), "primary-only", List.of("on", ">po-pass", "~*", "+@all"));
    proxy =
        TestProxy.start(
            topology,
            """
            switchboard.auth.mode = redis
            switchboard.redis.password = "default-secret"
            switchboard.sentinel.password = "default-secret"
            switchboard.routing.consistency = eventual
            """);
    try (RespClient client = login("app", "app-pass")) {
      TestProxy.awaitWritesReach(client, topology.primary(), "app:ready");
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
    topology.close();
  }

  private static void setUser(RedisNode node, String name, List<String> rules) throws IOException {
    Object[] command = new Object[3 + rules.size()];
    command[0] = "ACL";
    command[1] = "SETUSER";
    command[2] = name;
    System.arraycopy(rules.toArray(), 0, command, 3, rules.size());
    assertThat(node.call(command)).isEqualTo("OK");
  }

  private static RespClient connect(HostAndPort to) throws IOException {
    return RespClient.connect(to, Duration.ofSeconds(10));
  }

  private static RespClient login(String user, String password) throws IOException {
    RespClient client = connect(proxy.address());
    assertThat(client.call("AUTH", user, password)).isEqualTo("OK");
    return client;
  }

  @Test
  void aClientThatHasNotAuthenticatedGetsRedissOwnNoauth() throws IOException {
    try (RespClient anonymous = connect(proxy.address());
        RespClient direct = connect(topology.primary().address())) {
      for (List<String> command :
          List.of(
              List.of("GET", "app:x"),
              List.of("PING"),
              List.of("ECHO", "e"),
              List.of("CLIENT", "ID"),
              List.of("ACL", "WHOAMI"),
              List.of("SELECT", "1"),
              List.of("HELLO", "3"))) {
        assertThat(anonymous.call(command.toArray()))
            .as(String.join(" ", command))
            .isInstanceOf(RespValue.Error.class)
            .isEqualTo(direct.call(command.toArray()));
      }
      assertThat(anonymous.call("SET", "app:x", "1"))
          .isEqualTo(new RespValue.Error("NOAUTH Authentication required."));
      assertThat(anonymous.call("AUTH", "app", "wrong"))
          .isEqualTo(direct.call("AUTH", "app", "wrong"))
          .isEqualTo(
              new RespValue.Error("WRONGPASS invalid username-password pair or user is disabled."));
      assertThat(anonymous.call("AUTH", PASSWORD)).isEqualTo("OK");
      assertThat(anonymous.call("ACL", "WHOAMI")).isEqualTo("default");
      assertThat(anonymous.call("SET", "any:key", "1")).isEqualTo("OK");
    }
  }

  @Test
  void withANopassDefaultUserAClientRunsAsItUntilItLogsInAndFailuresAreRateLimited()
      throws Exception {
    try (TestProxy nopass =
            TestProxy.start(
                SharedTopology.get(),
                """
                switchboard.auth.mode = redis
                switchboard.auth.max-failures-per-address = 2
                switchboard.auth.failure-window = 30s
                """);
        RespClient anonymous = connect(nopass.address())) {
      TestProxy.awaitWrites(anonymous);
      assertThat(anonymous.call("SET", "it:nopass", "1")).isEqualTo("OK");
      assertThat(anonymous.call("ACL", "WHOAMI")).isEqualTo("default");
      assertThat(anonymous.call("PING")).isEqualTo("PONG");
      RespValue.Error wrong =
          new RespValue.Error("WRONGPASS invalid username-password pair or user is disabled.");
      assertThat(anonymous.call("AUTH", "nobody", "x")).isEqualTo(wrong);
      assertThat(anonymous.call("AUTH", "nobody", "y")).isEqualTo(wrong);
      assertThat(anonymous.call("AUTH", "default", "any"))
          .as("refused unchecked once the address failed twice")
          .isEqualTo(
              new RespValue.Error(
                  "WRONGPASS too many failed authentication attempts from this address; try"
                      + " again later"));
      assertThat(anonymous.call("GET", "it:nopass")).isEqualTo("1");
    }
  }

  @Test
  void redisEnforcesTheUsersCommandKeyAndChannelRulesWithItsOwnWords() throws IOException {
    try (RespClient app = login("app", "app-pass");
        RespClient direct = connect(topology.primary().address())) {
      assertThat(direct.call("AUTH", "app", "app-pass")).isEqualTo("OK");
      assertThat(app.call("ACL", "WHOAMI")).isEqualTo("app");
      assertThat(app.call("MULTI")).isEqualTo("OK");
      assertThat(app.call("AUTH", "app", "app-pass"))
          .as("checked by the primary, later: not in its place at EXEC")
          .isEqualTo(
              new RespValue.Error("ERR 'auth' inside MULTI is not supported by Switchboard"));
      assertThat(app.call("DISCARD")).isEqualTo("OK");
      assertThat(app.call("SET", "app:k", "v")).isEqualTo("OK");
      assertThat(app.call("GET", "app:k")).isEqualTo("v");
      for (List<String> denied :
          List.of(
              List.of("SET", "other:k", "v"),
              List.of("GET", "other:k"),
              List.of("FLUSHALL"),
              List.of("PUBLISH", "other:ch", "hi"),
              List.of("SUBSCRIBE", "other:ch"))) {
        Object through = app.call(denied.toArray());
        assertThat(through)
            .as(String.join(" ", denied))
            .isInstanceOf(RespValue.Error.class)
            .isEqualTo(direct.call(denied.toArray()));
        assertThat(((RespValue.Error) through).message()).startsWith("NOPERM");
      }
      assertThat(app.call("PUBLISH", "app:ch", "hi"))
          .as("not subscribed after NOPERM")
          .isEqualTo(0L);
      assertThat(app.call("SUBSCRIBE", "app:ch")).isEqualTo(List.of("subscribe", "app:ch", 1L));
    }
  }

  @Test
  void helloAuthLogsInAndSwitchesProtocolAndClientListNamesTheUser() throws IOException {
    try (RespClient app = connect(proxy.address())) {
      Object hello = app.call("HELLO", "3", "AUTH", "app", "app-pass", "SETNAME", "acl-app");
      assertThat(hello).isInstanceOf(Map.class);
      assertThat(((Map<?, ?>) hello).get("proto")).isEqualTo(3L);
      assertThat(app.call("SET", "app:r3", "v")).isEqualTo("OK");
      assertThat(app.call("CLIENT", "INFO"))
          .asString()
          .contains(" name=acl-app ")
          .contains(" user=app ")
          .contains(" resp=3");
      assertThat(app.call("HELLO", "3", "AUTH", "app", "nope"))
          .isEqualTo(
              new RespValue.Error("WRONGPASS invalid username-password pair or user is disabled."));
      assertThat(app.call("ACL", "WHOAMI")).as("still logged in as before").isEqualTo("app");
      String backend = String.valueOf(topology.primary().call("CLIENT", "LIST"));
      assertThat(backend).contains(" user=app ");
    }
  }

  @Test
  void jedisAndLettuceLogInAsTheServersUsers() {
    try (Jedis jedis =
        new Jedis(
            new redis.clients.jedis.HostAndPort("127.0.0.1", proxy.port()),
            DefaultJedisClientConfig.builder().user("app").password("app-pass").build())) {
      jedis.set("app:jedis", "v");
      assertThat(jedis.get("app:jedis")).isEqualTo("v");
      assertThatThrownBy(() -> jedis.set("other:jedis", "v"))
          .isInstanceOf(JedisAccessControlException.class)
          .hasMessageContaining("NOPERM");
    }
    // Lettuce logs in with HELLO 3 AUTH <user> <password> and speaks RESP3 from then on.
    io.lettuce.core.RedisClient lettuce = proxy.lettuceAs("app", "app-pass");
    try (var connection = lettuce.connect()) {
      connection.sync().set("app:lettuce", "v");
      assertThat(connection.sync().get("app:lettuce")).isEqualTo("v");
      assertThat(connection.sync().aclWhoami()).isEqualTo("app");
    } finally {
      lettuce.shutdown();
    }
    assertThatThrownBy(
            () ->
                new Jedis(
                        new redis.clients.jedis.HostAndPort("127.0.0.1", proxy.port()),
                        DefaultJedisClientConfig.builder().user("app").password("nope").build())
                    .close())
        .isInstanceOf(JedisAccessControlException.class)
        .hasMessageContaining("WRONGPASS");
  }

  @Test
  void aReplicaWithoutTheUserServesNoneOfItsReadsAndSaysSoOnce() throws Exception {
    Logger pools = (Logger) LoggerFactory.getLogger(BackendPool.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    pools.addAppender(logged);
    try (RespClient user = login("primary-only", "po-pass")) {
      assertThat(user.call("SET", "po:k", "v")).isEqualTo("OK");
      // Reads keep coming (each answered) until one was meant for the replica, which is then
      // asked to take the login and refuses it; a replica becomes eligible once the proxy has
      // seen it in sync.
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () -> {
                assertThat(user.call("GET", "po:k")).isEqualTo("v");
                return logged.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("'primary-only'"));
              });
      for (int i = 0; i < 50; i++) {
        assertThat(user.call("GET", "po:k")).isEqualTo("v");
      }
      assertThat(
              logged.list.stream()
                  .filter(e -> e.getFormattedMessage().contains("'primary-only'"))
                  .count())
          .as("one warning for the user and node")
          .isEqualTo(1);
    } finally {
      pools.detachAppender(logged);
    }
  }

  @Test
  @Order(Integer.MAX_VALUE) // the primary changes; the others expect the first one
  void aFailoverKeepsEachClientLoggedInAsItsUser() throws Exception {
    try (RespClient app = login("app", "app-pass")) {
      RedisNode before = topology.currentPrimary();
      RedisNode after =
          topology.replicas().get(0) == before ? topology.primary() : topology.replicas().get(0);
      topology.awaitSentinelsSettled(Duration.ofSeconds(30));
      RedisNode sentinel = topology.sentinels().get(0);
      assertThat(sentinel.call("SENTINEL", "FAILOVER", LocalTopology.MASTER)).isEqualTo("OK");
      TestProxy.awaitWritesReach(app, after, "app:failover");
      assertThat(app.call("ACL", "WHOAMI")).isEqualTo("app");
      assertThat(app.call("SET", "other:failover", "x")).isInstanceOf(RespValue.Error.class);
      assertThat(String.valueOf(after.call("CLIENT", "LIST"))).contains(" user=app ");
      topology.awaitHealthy(Duration.ofSeconds(30));
    }
  }
}
