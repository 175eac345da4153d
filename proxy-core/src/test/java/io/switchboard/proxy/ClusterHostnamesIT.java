package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.RedisBinary;
import io.switchboard.proxy.demo.RespClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A cluster whose nodes announce hostnames (as on Kubernetes with {@code cluster-announce-hostname}
 * and {@code cluster-preferred-endpoint-type hostname}): the proxy takes the names from CLUSTER
 * SHARDS and MOVED, and resolves them when it connects.
 */
class ClusterHostnamesIT {

  @Test
  void nodesNamedByHostnameAreResolvedAtConnectTime() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.start(
                RedisBinary.pinned(),
                3,
                1,
                List.of(
                    "cluster-announce-hostname localhost",
                    "cluster-preferred-endpoint-type hostname"));
        TestProxy proxy = TestProxy.cluster(cluster, "")) {
      proxy.awaitPrimary();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                String topology = proxy.admin("/topology");
                assertThat(topology).contains("\"address\":\"localhost:");
                assertThat(topology).doesNotContain("\"confirmedByRole\":false");
              });
      try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
        for (String tag : new String[] {"{a}", "{b}", "{c}"}) {
          assertThat(client.call("SET", tag + "named", "v")).isEqualTo("OK");
          assertThat(client.call("GET", tag + "named")).isEqualTo("v");
        }
      }
    }
  }
}
