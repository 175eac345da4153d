package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What only a proxy has: its own password, a deny list and a bound on exclusive connections. Each
 * answers with an error naming what happened, as the README documents.
 */
class ProxyPoliciesIT {

  private static TestProxy proxy;
  private final String prefix = "it:policy:" + UUID.randomUUID() + ":";

  @BeforeAll
  static void start() throws Exception {
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            """
            switchboard.auth.password = "s3cret"
            switchboard.routing.deny = [FLUSHALL, "CONFIG|SET"]
            switchboard.limits.max-exclusive-connections = 2
            """);
    try (RespClient client = authenticated()) {
      TestProxy.awaitWrites(client);
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  private static RespClient connect() throws IOException {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(10));
  }

  private static RespClient authenticated() throws IOException {
    RespClient client = connect();
    assertThat(client.call("AUTH", "s3cret")).isEqualTo("OK");
    return client;
  }

  private static long blockedClientsOnThePrimary() throws IOException {
    String info = String.valueOf(SharedTopology.get().primary().call("INFO", "clients"));
    for (String line : info.split("\r\n")) {
      if (line.startsWith("blocked_clients:")) {
        return Long.parseLong(line.substring("blocked_clients:".length()));
      }
    }
    return 0;
  }

  @Test
  void clientsMustPresentTheProxysPassword() throws IOException {
    try (RespClient client = connect()) {
      assertThat(TestProxy.errorOf(client.call("GET", "x")))
          .isEqualTo("NOAUTH Authentication required.");
      assertThat(TestProxy.errorOf(client.call("HELLO", "3")))
          .startsWith("NOAUTH HELLO must be called");
      assertThat(TestProxy.errorOf(client.call("AUTH", "wrong"))).startsWith("WRONGPASS");
      assertThat(TestProxy.errorOf(client.call("AUTH", "someone", "s3cret")))
          .startsWith("WRONGPASS");
      assertThat(client.call("AUTH", "s3cret")).isEqualTo("OK");
      assertThat(client.call("SET", prefix + "a", "1")).isEqualTo("OK");
      assertThat(client.call("RESET")).isEqualTo("RESET");
      assertThat(TestProxy.errorOf(client.call("GET", prefix + "a"))).startsWith("NOAUTH");
      assertThat(client.call("HELLO", "3", "AUTH", "default", "s3cret")).isInstanceOf(Map.class);
      assertThat(client.call("GET", prefix + "a")).isEqualTo("1");
    }
    try (Jedis jedis = proxy.jedis()) {
      jedis.auth("s3cret");
      assertThat(jedis.get(prefix + "a")).isEqualTo("1");
    }
  }

  @Test
  void deniedCommandsAreRefusedByName() throws IOException {
    try (RespClient client = authenticated()) {
      assertThat(TestProxy.errorOf(client.call("FLUSHALL")))
          .isEqualTo(
              "ERR 'flushall' is denied by this proxy's configuration (switchboard.routing.deny)");
      assertThat(TestProxy.errorOf(client.call("CONFIG", "SET", "maxmemory", "1")))
          .startsWith("ERR 'config set' is denied");
      assertThat(client.call("CONFIG", "GET", "maxmemory")).isInstanceOf(List.class);
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(TestProxy.errorOf(client.call("FLUSHALL"))).contains("denied");
      assertThat(TestProxy.errorOf(client.call("EXEC"))).startsWith("EXECABORT");
    }
  }

  @Test
  void exclusiveConnectionsAreBoundedWithAClearError() throws IOException {
    try (RespClient first = authenticated();
        RespClient second = authenticated();
        RespClient third = authenticated();
        RespClient pusher = authenticated()) {
      first.send(RespClient.encode("BLPOP", prefix + "q1", "10"));
      second.send(RespClient.encode("BLPOP", prefix + "q2", "10"));
      await().atMost(Duration.ofSeconds(10)).until(() -> blockedClientsOnThePrimary() >= 2);
      assertThat(TestProxy.errorOf(third.call("BLPOP", prefix + "q3", "1")))
          .contains("all 2 exclusive backend connections are held");
      assertThat(pusher.call("RPUSH", prefix + "q1", "a")).isEqualTo(1L);
      assertThat(pusher.call("RPUSH", prefix + "q2", "b")).isEqualTo(1L);
      assertThat(first.read()).isEqualTo(List.of(prefix + "q1", "a"));
      assertThat(second.read()).isEqualTo(List.of(prefix + "q2", "b"));
      assertThat(third.call("BLPOP", prefix + "q3", "0.1")).isNull();
    }
  }

  @Test
  void clientsThatLeaveMidTransactionOrBlockedGiveTheirConnectionsBack() throws Exception {
    for (int i = 0; i < 5; i++) {
      try (RespClient watcher = authenticated();
          RespClient blocked = authenticated()) {
        assertThat(watcher.call("WATCH", prefix + "w")).isEqualTo("OK");
        assertThat(watcher.call("MULTI")).isEqualTo("OK");
        blocked.send(RespClient.encode("BLPOP", prefix + "never", "0"));
        await().atMost(Duration.ofSeconds(10)).until(() -> blockedClientsOnThePrimary() >= 1);
      }
      // Closed mid-transaction and mid-BLPOP: the server connections go with them.
      await().atMost(Duration.ofSeconds(10)).until(() -> blockedClientsOnThePrimary() == 0);
    }
    // Had any of those leaked, the limit of 2 would refuse one of these.
    try (RespClient first = authenticated();
        RespClient second = authenticated()) {
      assertThat(first.call("MULTI")).isEqualTo("OK");
      assertThat(second.call("BLPOP", prefix + "none", "0.1")).isNull();
      assertThat(first.call("DISCARD")).isEqualTo("OK");
    }
  }
}
