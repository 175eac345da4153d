package io.switchboard.routing;

import java.util.ArrayDeque;

/**
 * Turns replication offsets into time lag. It keeps recent samples of the primary's offset; a
 * replica at offset {@code o} lags by the age of the oldest sample whose offset exceeds {@code o},
 * that is, how long ago the primary wrote the first byte the replica has not applied. Pure and
 * single-threaded (the monitor's thread).
 */
public final class LagTracker {

  private record Sample(long nanos, long offset) {}

  private long windowNanos;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private long droppedOffset = -1;

  /** Keeps samples for {@code windowNanos}; older lag is reported as at least the window. */
  public LagTracker(long windowNanos) {
    this.windowNanos = windowNanos;
  }

  /**
   * A new window (a reload's lag bound). Widened, a replica behind what was dropped reads as
   * lagging the new window, which is more than any bound it serves: it serves again once samples
   * show it.
   */
  public void window(long nanos) {
    windowNanos = nanos;
  }

  public void primaryOffset(long nowNanos, long offset) {
    Sample last = samples.peekLast();
    if (last == null || offset > last.offset) {
      samples.addLast(new Sample(nowNanos, offset));
    } else if (offset < last.offset) {
      // A new primary with a lower offset (failover without PSYNC continuity): start over.
      samples.clear();
      droppedOffset = -1;
      samples.addLast(new Sample(nowNanos, offset));
    }
    while (samples.size() > 1 && nowNanos - samples.peekFirst().nanos > windowNanos) {
      droppedOffset = samples.pollFirst().offset;
    }
  }

  /** Milliseconds the replica at {@code replicaOffset} is behind; 0 when it has everything. */
  public long lagMillis(long nowNanos, long replicaOffset) {
    if (replicaOffset < droppedOffset) {
      return windowNanos / 1_000_000; // behind everything still remembered
    }
    for (Sample sample : samples) {
      if (sample.offset > replicaOffset) {
        return (nowNanos - sample.nanos) / 1_000_000;
      }
    }
    return 0;
  }
}
