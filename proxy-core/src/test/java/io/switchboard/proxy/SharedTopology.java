package io.switchboard.proxy;

import io.switchboard.proxy.demo.LocalTopology;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The real topology (primary, two replicas, three Sentinels) the integration tests of one JVM
 * share, started on first use. A shutdown hook stops it; {@code RedisNode}'s own hook kills any
 * process still alive, so nothing outlives a failing run.
 */
final class SharedTopology {

  private static LocalTopology topology;

  private SharedTopology() {}

  static synchronized LocalTopology get() {
    if (topology == null) {
      try {
        topology = LocalTopology.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(topology::close, "shared-topology-stop"));
    }
    return topology;
  }
}
