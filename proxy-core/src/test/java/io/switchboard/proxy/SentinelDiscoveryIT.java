package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Start-up before a Sentinel answers: commands wait for the first primary, as writes wait in a
 * failover, and past {@code failover.hold-timeout} get a clear error; then recovery.
 */
class SentinelDiscoveryIT {

  private static final String QUICK_RETRIES =
      "switchboard.sentinel.retry-max = 300ms\nswitchboard.sentinel.timeout = 500ms\n";

  @Test
  void commandsSentBeforeAnyPrimaryIsKnownWaitForItAndRunInOrder() throws Exception {
    try (LocalTopology topology = LocalTopology.start(0, 1)) {
      RedisNode sentinel = stoppedSentinel(topology);
      try (TestProxy proxy = proxyHolding(topology, "20s");
          RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(20))) {
        assertThat(client.call("PING")).as("answered by the proxy at once").isEqualTo("PONG");
        client.send(
            concat(
                RespClient.encode("SET", "it:early", "first"),
                RespClient.encode("GET", "it:early"),
                RespClient.encode("PING")));
        assertThat(client.readWithin(Duration.ofMillis(500))).as("waiting, not failing").isNull();

        sentinel.start();
        assertThat(client.read()).isEqualTo("OK");
        assertThat(client.read()).isEqualTo("first");
        assertThat(client.read()).isEqualTo("PONG");
        assertThat(topology.primary().call("GET", "it:early")).isEqualTo("first");
      }
    }
  }

  @Test
  void pastTheHoldTimeoutClientsGetAClearErrorAndServiceStartsWhenASentinelAnswers()
      throws Exception {
    try (LocalTopology topology = LocalTopology.start(0, 1)) {
      RedisNode sentinel = stoppedSentinel(topology);
      try (TestProxy proxy = proxyHolding(topology, "1s");
          RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
        RespValue.Error error = (RespValue.Error) client.call("GET", "k");
        assertThat(error.message())
            .startsWith("ERR Switchboard has no primary to send this to: ")
            .contains("for master 'mymaster'")
            .contains(sentinel.address().toString());
        long started = System.nanoTime();
        assertThat(client.call("GET", "k")).isInstanceOf(RespValue.Error.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("the start-up wait is over: later commands fail at once")
            .isLessThan(Duration.ofMillis(500));
        assertThat(client.call("PING")).as("local commands still work").isEqualTo("PONG");

        sentinel.start();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> "OK".equals(client.call("SET", "it:discovered", "yes")));
        assertThat(topology.primary().call("GET", "it:discovered")).isEqualTo("yes");
      }
    }
  }

  private static RedisNode stoppedSentinel(LocalTopology topology) {
    RedisNode sentinel = topology.sentinels().get(0);
    sentinel.stop();
    return sentinel;
  }

  /** A proxy that retries Sentinels quickly and holds commands for {@code holdTimeout}. */
  private static TestProxy proxyHolding(LocalTopology topology, String holdTimeout)
      throws InterruptedException {
    return TestProxy.start(
        topology, QUICK_RETRIES + "switchboard.failover.hold-timeout = " + holdTimeout + "\n");
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
