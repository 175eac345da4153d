package io.switchboard.proxy;

import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.Jedis;

/** The client-visible contract, through Switchboard with its default routing. */
class SemanticsThroughProxyIT extends RedisSemanticsContract {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy = TestProxy.start(SharedTopology.get(), "");
    try (Jedis jedis = proxy.jedis()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "OK".equals(jedis.set("it:ready", "1")));
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  @Override
  HostAndPort target() {
    return proxy.address();
  }
}
