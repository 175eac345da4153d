package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The client-visible contract, through Switchboard with its default routing. */
class SemanticsThroughProxyIT extends RedisSemanticsContract {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    // Every command in the proxy's slow log, as on the primary in the direct run.
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            "switchboard.slowlog.threshold = 0\nswitchboard.slowlog.max-len = 1024\n");
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  @Override
  public HostAndPort target() {
    return proxy.address();
  }
}
