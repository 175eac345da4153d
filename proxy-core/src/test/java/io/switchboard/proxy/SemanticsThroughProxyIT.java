package io.switchboard.proxy;

import io.switchboard.config.HostAndPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The client-visible contract, through Switchboard with its default routing. */
class SemanticsThroughProxyIT extends RedisSemanticsContract {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy = TestProxy.start(SharedTopology.get(), "");
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
