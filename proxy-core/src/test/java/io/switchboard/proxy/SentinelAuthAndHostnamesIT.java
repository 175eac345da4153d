package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A deployment shaped like the common Helm install: every node and Sentinel requires a password,
 * and Sentinel names nodes by hostname. The proxy authenticates to both (sentinel.password left
 * empty means redis.password), resolves the hostnames at connect, and follows a failover. And one
 * where the proxy has ACL users of its own on the nodes and on the Sentinel.
 */
class SentinelAuthAndHostnamesIT {

  private static final String PASSWORD = "s3cret-pass";

  @Test
  void aPasswordProtectedDeploymentNamedByHostnamesIsServedAndFollowed() throws Exception {
    try (LocalTopology topology =
        LocalTopology.start(1, 1, new LocalTopology.Security(PASSWORD, true))) {
      RedisNode sentinel = topology.sentinels().get(0);
      assertThat(sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", LocalTopology.MASTER))
          .as("Sentinel names the primary by hostname")
          .isEqualTo(List.of("localhost", Long.toString(topology.primary().port())));
      try (TestProxy proxy =
              TestProxy.start(
                  List.of(new HostAndPort("localhost", sentinel.port())),
                  "switchboard.redis.password = \"" + PASSWORD + "\"\n");
          RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(20))) {
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> "OK".equals(client.call("SET", "it:secured", "1")));
        assertThat(topology.primary().call("GET", "it:secured")).isEqualTo("1");

        topology.awaitSentinelsSettled(Duration.ofSeconds(30));
        assertThat(sentinel.call("SENTINEL", "FAILOVER", LocalTopology.MASTER)).isEqualTo("OK");
        RedisNode promoted = topology.replicas().get(0);
        TestProxy.awaitWritesReach(client, promoted, "it:secured");
      }
    }
  }

  /**
   * The proxy logs in as ACL user "switchboard" (not the default user, whose password differs) on
   * the nodes and on the Sentinel, where that user has only the commands the README lists.
   */
  @Test
  void aclUsersOnNodesAndSentinelsAreUsed() throws Exception {
    LocalTopology.AclUser user = new LocalTopology.AclUser("switchboard", "acl-pass");
    try (LocalTopology topology =
        LocalTopology.start(1, 1, new LocalTopology.Security(PASSWORD, false, user, null))) {
      RedisNode sentinel = topology.sentinels().get(0);
      assertThat(
              sentinel.call(
                  "ACL",
                  "SETUSER",
                  "switchboard",
                  "reset",
                  "on",
                  ">acl-pass",
                  "&*",
                  "+hello",
                  "+auth",
                  "+ping",
                  "+client|setname",
                  "+psubscribe",
                  "+sentinel|master",
                  "+sentinel|replicas",
                  "+sentinel|failover"))
          .isEqualTo("OK");
      try (TestProxy proxy =
              TestProxy.start(
                  topology,
                  """
                  switchboard.redis { username = switchboard, password = acl-pass }
                  switchboard.sentinel { username = switchboard, password = acl-pass }
                  """);
          RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(20))) {
        await()
            .atMost(Duration.ofSeconds(15))
            .ignoreExceptions()
            .until(() -> "OK".equals(client.call("SET", "it:acl", "1")));
        Object clients = topology.primary().call("CLIENT", "LIST");
        assertThat(String.valueOf(clients))
            .contains("name=switchboard")
            .contains("user=switchboard");
        assertThat(String.valueOf(sentinel.call("CLIENT", "LIST"))).contains("user=switchboard");

        topology.awaitSentinelsSettled(Duration.ofSeconds(30));
        assertThat(sentinel.call("SENTINEL", "FAILOVER", LocalTopology.MASTER)).isEqualTo("OK");
        TestProxy.awaitWritesReach(client, topology.replicas().get(0), "it:acl");
        topology.awaitHealthy(Duration.ofSeconds(30));
      }
    }
  }
}
