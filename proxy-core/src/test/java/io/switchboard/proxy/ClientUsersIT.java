package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.ConfigLoader;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.Passwords;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * The proxy's named users: AUTH and HELLO AUTH with a user name, the default user switched off,
 * read-only and deny-list users refused with Redis ACL's own NOPERM text (compared with a real
 * Redis user set up the same way), and failed attempts counted and rate-limited per address.
 */
class ClientUsersIT {

  private static final String USERS =
      """
      switchboard.auth.users = [
        { name = app, password = "app-pw" }
        { name = reports, password-sha256 = "%s", read-only = true }
        { name = ops, password = "ops-pw", deny = [FLUSHALL, "CONFIG|SET", "DEBUG"] }
      ]
      """
          .formatted(Passwords.sha256Hex("reports-pw"));

  private static TestProxy proxy;
  private final String prefix = "it:users:" + UUID.randomUUID() + ":";

  @BeforeAll
  static void start() throws Exception {
    proxy = TestProxy.start(SharedTopology.get(), USERS);
    try (RespClient client = as("app", "app-pw")) {
      TestProxy.awaitWrites(client);
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private static RespClient as(String user, String password) throws IOException {
    RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
    assertThat(client.call("AUTH", user, password)).isEqualTo("OK");
    return client;
  }

  @Test
  void namedUsersAuthenticateWithAuthOrHelloAndTheDefaultUserIsOff() throws Exception {
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(TestProxy.errorOf(client.call("GET", prefix + "a")))
          .isEqualTo("NOAUTH Authentication required.");
      assertThat(TestProxy.errorOf(client.call("AUTH", "app-pw"))).startsWith("WRONGPASS");
      assertThat(TestProxy.errorOf(client.call("AUTH", "default", ""))).startsWith("WRONGPASS");
      assertThat(TestProxy.errorOf(client.call("AUTH", "app", "reports-pw")))
          .startsWith("WRONGPASS");
      assertThat(TestProxy.errorOf(client.call("AUTH", "nobody", "app-pw")))
          .startsWith("WRONGPASS");
      assertThat(TestProxy.errorOf(client.call("HELLO", "3", "AUTH", "app", "wrong")))
          .isEqualTo("WRONGPASS invalid username-password pair or user is disabled.");
      Object hello = client.call("HELLO", "3", "AUTH", "app", "app-pw", "SETNAME", "users-it");
      assertThat(hello).isInstanceOf(Map.class);
      assertThat(((Map<?, ?>) hello).get("proto")).isEqualTo(3L);
      assertThat(client.call("SET", prefix + "a", "1")).isEqualTo("OK");
      assertThat(client.call("RESET")).isEqualTo("RESET");
      assertThat(TestProxy.errorOf(client.call("GET", prefix + "a"))).startsWith("NOAUTH");
      assertThat(client.call("AUTH", "reports", "reports-pw")).isEqualTo("OK");
      assertThat(client.call("GET", prefix + "a")).isEqualTo("1");
      assertThat(client.call("ACL", "WHOAMI")).isEqualTo("reports");
      assertThat(String.valueOf(client.call("CLIENT", "INFO"))).contains(" user=reports ");
    }
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(client.call("QUIT")).as("QUIT needs no login").isEqualTo("OK");
      assertThatThrownBy(() -> client.call("PING")).isInstanceOf(IOException.class);
    }
    try (Jedis jedis =
        new Jedis(
            new HostAndPort("127.0.0.1", proxy.port()),
            DefaultJedisClientConfig.builder().user("app").password("app-pw").build())) {
      jedis.set(prefix + "jedis", "v");
      assertThat(jedis.get(prefix + "jedis")).isEqualTo("v");
    }
    // Lettuce logs in with HELLO 3 AUTH <user> <password> and speaks RESP3 from then on.
    io.lettuce.core.RedisClient lettuce = proxy.lettuceAs("app", "app-pw");
    try (var connection = lettuce.connect()) {
      connection.sync().set(prefix + "lettuce", "v");
      assertThat(connection.sync().get(prefix + "lettuce")).isEqualTo("v");
      assertThat(connection.sync().aclWhoami()).isEqualTo("app");
      assertThat(proxy.admin("/clients"))
          .contains("\"protocol\":3,\"authenticated\":true,\"user\":\"app\"");
    } finally {
      lettuce.shutdown();
    }
    // Jedis authenticates as it connects.
    assertThatThrownBy(
            () ->
                new Jedis(
                        new HostAndPort("127.0.0.1", proxy.port()),
                        DefaultJedisClientConfig.builder().user("app").password("nope").build())
                    .close())
        .isInstanceOf(JedisAccessControlException.class)
        .hasMessageContaining("WRONGPASS");
  }

  @Test
  void readOnlyAndDenyListUsersGetRedisAclErrors() throws Exception {
    RedisNode primary = SharedTopology.get().primary();
    String aclUser = "it-users-" + UUID.randomUUID();
    primary.call(
        "ACL", "SETUSER", aclUser, "on", ">pw", "~*", "&*", "+@all", "-@write", "-config|set");
    try (RespClient redis = RespClient.connect(primary.address(), Duration.ofSeconds(10));
        RespClient reports = as("reports", "reports-pw");
        RespClient ops = as("ops", "ops-pw")) {
      assertThat(redis.call("AUTH", aclUser, "pw")).isEqualTo("OK");
      for (List<String> command :
          List.of(List.of("SET", prefix + "k", "v"), List.of("DEL", prefix + "k"))) {
        Object[] args = command.toArray();
        assertThat(TestProxy.errorOf(reports.call(args)))
            .isEqualTo(TestProxy.errorOf(redis.call(args)))
            .startsWith("NOPERM this user has no permissions to run the '");
      }
      assertThat(TestProxy.errorOf(ops.call("CONFIG", "SET", "maxclients", "100")))
          .isEqualTo(TestProxy.errorOf(redis.call("CONFIG", "SET", "maxclients", "100")))
          .isEqualTo("NOPERM this user has no permissions to run the 'config|set' command");

      // Inside MULTI a refused command dooms the transaction, as in Redis.
      for (RespClient client : List.of(reports, redis)) {
        assertThat(client.call("MULTI")).isEqualTo("OK");
        assertThat(TestProxy.errorOf(client.call("SET", prefix + "m", "1"))).startsWith("NOPERM");
        assertThat(TestProxy.errorOf(client.call("EXEC"))).startsWith("EXECABORT");
      }
      // Wrong arity gets Redis's arity error first, as Redis checks it before permissions.
      assertThat(TestProxy.errorOf(reports.call("SET", prefix + "k")))
          .isEqualTo(TestProxy.errorOf(redis.call("SET", prefix + "k")));
    } finally {
      primary.call("ACL", "DELUSER", aclUser);
    }
    try (RespClient app = as("app", "app-pw");
        RespClient reports = as("reports", "reports-pw");
        RespClient ops = as("ops", "ops-pw")) {
      assertThat(app.call("SET", prefix + "r", "v")).isEqualTo("OK");
      assertThat(reports.call("GET", prefix + "r")).isEqualTo("v");
      assertThat(reports.call("EXISTS", prefix + "r")).isEqualTo(1L);
      assertThat(reports.call("EVAL_RO", "return redis.call('GET', KEYS[1])", "1", prefix + "r"))
          .isEqualTo("v");
      for (Object[] refused :
          List.of(
              new Object[] {"EVAL", "return 1", "0"},
              new Object[] {"PUBLISH", "channel", "m"},
              new Object[] {"FLUSHALL"},
              new Object[] {"CONFIG", "SET", "maxclients", "100"},
              new Object[] {"SCRIPT", "FLUSH"})) {
        assertThat(TestProxy.errorOf(reports.call(refused)))
            .as(refused[0].toString())
            .startsWith("NOPERM");
      }
      assertThat(TestProxy.errorOf(ops.call("FLUSHALL")))
          .isEqualTo("NOPERM this user has no permissions to run the 'flushall' command");
      assertThat(TestProxy.errorOf(ops.call("DEBUG", "SLEEP", "0"))).startsWith("NOPERM");
      assertThat(ops.call("CONFIG", "GET", "maxclients")).isInstanceOf(List.class);
      assertThat(ops.call("SET", prefix + "ops", "1")).isEqualTo("OK");
      assertThat(app.call("CONFIG", "GET", "maxclients")).isInstanceOf(List.class);
    }
    assertThat(proxy.admin("/metrics"))
        .containsPattern("switchboard_errors_total\\{kind=\"noperm\"} [1-9]");
  }

  @Test
  void failedAttemptsAreCountedAndRateLimitedPerAddress() throws Exception {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
        new ch.qos.logback.core.read.ListAppender<>();
    logged.start();
    root.addAppender(logged);
    try {
      rateLimitedPerAddress();
    } finally {
      root.detachAppender(logged);
    }
    // Start-up, the failures and the block were all logged; no password or guess was.
    assertThat(logged.list)
        .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
        .anyMatch(line -> line.contains("too many failed attempts"))
        .noneMatch(line -> line.contains("app-pw") || line.contains("ops-pw"))
        .noneMatch(line -> line.contains("guess-") || line.contains("reports-pw"));
  }

  private void rateLimitedPerAddress() throws Exception {
    try (TestProxy limited =
            TestProxy.start(
                SharedTopology.get(),
                USERS
                    + "switchboard.auth.max-failures-per-address = 3\n"
                    + "switchboard.auth.failure-window = 2s\n");
        RespClient first = RespClient.connect(limited.address(), Duration.ofSeconds(10));
        RespClient second = RespClient.connect(limited.address(), Duration.ofSeconds(10))) {
      for (int i = 0; i < 3; i++) {
        assertThat(TestProxy.errorOf(first.call("AUTH", "app", "guess-" + i)))
            .isEqualTo("WRONGPASS invalid username-password pair or user is disabled.");
      }
      long blockedAt = System.nanoTime();
      // Blocked: even the right password is refused unchecked, on any connection from here.
      assertThat(TestProxy.errorOf(second.call("AUTH", "app", "app-pw")))
          .isEqualTo(
              "WRONGPASS too many failed authentication attempts from this address; try again"
                  + " later");
      assertThat(TestProxy.errorOf(first.call("HELLO", "3", "AUTH", "app", "app-pw")))
          .startsWith("WRONGPASS too many failed");
      assertThat(TestProxy.errorOf(second.call("GET", prefix + "x"))).startsWith("NOAUTH");
      String metrics = limited.admin("/metrics");
      assertThat(metrics)
          .contains("switchboard_auth_failures_total{reason=\"wrong-password\"} 3.0")
          .contains("switchboard_auth_failures_total{reason=\"rate-limited\"} 2.0");
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> "OK".equals(second.call("AUTH", "app", "app-pw")));
      assertThat(Duration.ofNanos(System.nanoTime() - blockedAt))
          .isGreaterThan(Duration.ofMillis(1500));
      assertThat(second.call("SET", prefix + "x", "1")).isEqualTo("OK");
    }
  }

  @Test
  void aDenyListNamingNoCommandStopsStartUp() {
    assertThatThrownBy(
            () ->
                new SwitchboardServer(
                    ConfigLoader.parse(
                        "switchboard.sentinel.hosts = \"127.0.0.1:26379\"\n"
                            + "switchboard.auth.users = [{ name = a, password = x, deny = [FLUSHALLL] }]")))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("switchboard.auth.users.0.deny: unknown command(s) in the deny list")
        .hasMessageContaining("FLUSHALLL");
  }

  @Test
  void configEndpointShowsUsersWithoutTheirPasswords() throws Exception {
    String config = proxy.admin("/config");
    assertThat(config)
        .contains("\"name\":\"reports\"")
        .contains("\"read-only\":true")
        .doesNotContain("app-pw")
        .doesNotContain(Passwords.sha256Hex("reports-pw"))
        .doesNotContain(Passwords.sha256Hex("app-pw"));
  }
}
