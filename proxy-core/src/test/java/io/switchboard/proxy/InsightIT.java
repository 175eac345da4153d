package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The operator's tools on a skewed load through the proxy from a real client: the hot key at the
 * top of /hotkeys and the metric, a big value in /bigkeys, a slow command in /slowlog with its
 * node.
 */
class InsightIT {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            """
            switchboard.bigkeys.threshold = 64k
            switchboard.slowlog.threshold = 50ms
            """);
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  @Test
  void aSkewedLoadShowsItsHotKeyItsBigValueAndItsSlowCommand() throws Exception {
    try (Jedis jedis = proxy.jedis()) {
      jedis.set("it:insight:hot", "1");
      Pipeline pipeline = jedis.pipelined();
      for (int i = 0; i < 20_000; i++) {
        pipeline.get(i % 2 == 0 ? "it:insight:hot" : "it:insight:cold:" + i);
      }
      pipeline.sync();
      jedis.set("it:insight:big", "b".repeat(100_000));
      assertThat(jedis.get("it:insight:big")).hasSize(100_000);
    }
    try (var client =
        io.switchboard.proxy.demo.RespClient.connect(
            proxy.address(), java.time.Duration.ofSeconds(10))) {
      assertThat(client.call("DEBUG", "SLEEP", "0.1")).isEqualTo("OK");
    }

    String hot = proxy.admin("/hotkeys");
    assertThat(hot)
        .startsWith("{\"enabled\":true,")
        .contains("\"keys\":[{\"key\":\"it:insight:hot\"");
    assertThat(proxy.metric("switchboard_hot_key_requests{key=\"it:insight:hot\"}"))
        .as("about 10,000 requests, sampled")
        .isBetween(7_000.0, 13_000.0);

    String big = proxy.admin("/bigkeys");
    assertThat(big)
        .contains("\"direction\":\"request\",\"command\":\"set\",\"key\":\"it:insight:big\"")
        .contains("\"direction\":\"reply\",\"command\":\"get\",\"key\":\"it:insight:big\"");
    assertThat(proxy.metric("switchboard_big_keys_total{direction=\"reply\"}")).isEqualTo(1.0);

    String slow = proxy.admin("/slowlog");
    assertThat(slow)
        .contains("\"args\":[\"DEBUG\",\"SLEEP\",\"0.1\"]")
        .contains("\"node\":\"" + SharedTopology.get().primary().address() + "\"")
        .containsPattern("\"node-micros\":[1-9][0-9]{5}");
  }
}
