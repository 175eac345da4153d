package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Start-up with Sentinels that do not answer: clear errors at once, then recovery. */
class SentinelDiscoveryIT {

  @Test
  void withoutSentinelsClientsGetAClearErrorAndServiceStartsWhenOneAnswers() throws Exception {
    try (LocalTopology topology = LocalTopology.start(0, 1)) {
      RedisNode sentinel = topology.sentinels().get(0);
      sentinel.stop();
      try (TestProxy proxy =
              TestProxy.start(
                  topology,
                  "switchboard.sentinel.retry-max = 300ms\nswitchboard.sentinel.timeout = 500ms\n");
          RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> String.valueOf(client.call("GET", "k")).contains("no Sentinel answered"));
        RespValue.Error error = (RespValue.Error) client.call("GET", "k");
        assertThat(error.message())
            .startsWith("ERR Switchboard has no primary to send this to: ")
            .contains("for master 'mymaster'")
            .contains(sentinel.address().toString());
        assertThat(client.call("PING")).as("local commands still work").isEqualTo("PONG");

        sentinel.start();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> "OK".equals(client.call("SET", "it:discovered", "yes")));
        assertThat(topology.primary().call("GET", "it:discovered")).isEqualTo("yes");
      }
    }
  }
}
