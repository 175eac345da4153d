package io.switchboard.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.routing.ReplicationSnapshot;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProxyMetricsTest {

  @Test
  void gaugesOverSuppliersNobodyElseHoldsSurviveGarbageCollection() {
    AtomicLong held = new AtomicLong(5);
    AtomicLong exclusive = new AtomicLong(3);
    AtomicLong cached = new AtomicLong(7);
    // Method references capture their target: objects only the gauges refer to.
    ProxyMetrics metrics =
        new ProxyMetrics(
            new AtomicReference<>(ReplicationSnapshot.NONE), held::get, exclusive::get);
    metrics.nearCacheBytes(cached::get);
    for (int i = 0; i < 5; i++) {
      System.gc();
    }
    assertThat(metrics.scrape())
        .contains("switchboard_writes_held_bytes 5.0")
        .contains("switchboard_backend_exclusive 3.0")
        .contains("switchboard_cache_bytes 7.0")
        .doesNotContain("NaN");
  }
}
