package io.switchboard.proxy.backend;

import io.switchboard.config.RoutingConfig;
import io.switchboard.routing.ReplicaChooser;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicas slow to answer stop getting reads for a while ({@code routing.outlier-latency}, {@code
 * routing.outlier-ejection}), and the reads waiting on them run on the primary too. One check per
 * event loop, a few times per latency bound.
 */
public final class OutlierDetection {

  private static final Logger log = LoggerFactory.getLogger(OutlierDetection.class);

  private final BackendLoop loop;
  private final BackendPools pools;
  private final ReplicaChooser chooser;

  public OutlierDetection(BackendLoop loop, BackendPools pools, ReplicaChooser chooser) {
    this.loop = loop;
    this.pools = pools;
    this.chooser = chooser;
  }

  public void start() {
    RoutingConfig routing = loop.config().routing();
    long every = Math.max(20, routing.outlierLatency().toMillis() / 4);
    loop.eventLoop().scheduleAtFixedRate(this::check, every, every, TimeUnit.MILLISECONDS);
  }

  void check() {
    RoutingConfig routing = loop.config().routing();
    long latency = routing.outlierLatency().toNanos();
    long now = System.nanoTime();
    pools.forEachShared(
        pool -> {
          if (pool.primary()) {
            return;
          }
          pool.forEach(
              connection -> {
                if (connection.oldestWaitNanos(now) <= latency) {
                  return;
                }
                if (!chooser.ejected(pool.node(), now)) {
                  log.warn(
                      "Replica {} has left a read waiting for over {} ms; reads go elsewhere"
                          + " for {} ms, and those waiting on it run on the primary",
                      pool.node(),
                      routing.outlierLatency().toMillis(),
                      routing.outlierEjection().toMillis());
                  chooser.eject(pool.node(), now);
                }
                connection.rerouteStuck(
                    now, latency, command -> command.session.retryStuckRead(command));
              });
        });
    loop.flushes().flushAll();
  }
}
