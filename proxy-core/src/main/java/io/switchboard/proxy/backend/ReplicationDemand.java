package io.switchboard.proxy.backend;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the event loops tell the replication monitor: that sessions read from replicas now, so
 * replication offsets must be fresh. The monitor polls {@code ROLE} every {@code
 * routing.offset-poll-interval} while they do (and while topology changes settle), and every {@code
 * routing.idle-poll-interval} otherwise, so an idle proxy costs the servers and itself next to
 * nothing. A read that finds the offsets too old to trust wakes the monitor at once.
 *
 * <p>Shared by every loop: the time is written at most every {@link #NOTE_EVERY_NANOS} per loop (a
 * write per read would bounce its cache line between cores), and a wake is queued once until the
 * monitor takes it.
 */
public final class ReplicationDemand {

  private static final long NOTE_EVERY_NANOS = 50_000_000;

  private volatile long neededAtNanos = System.nanoTime() - Long.MAX_VALUE / 2;
  private volatile boolean slow;
  private volatile Runnable wake = () -> {};
  private final AtomicBoolean wakeQueued = new AtomicBoolean();

  /**
   * A session is about to read from a replica if the offsets allow it.
   *
   * @param stale the offsets are too old for a replica to serve now: wake the monitor
   */
  public void needed(long now, boolean stale) {
    if (now - neededAtNanos > NOTE_EVERY_NANOS) {
      neededAtNanos = now;
    }
    if ((stale || slow) && wakeQueued.compareAndSet(false, true)) {
      wake.run();
    }
  }

  /** When sessions last needed fresh offsets ({@link System#nanoTime}). */
  public long neededAtNanos() {
    return neededAtNanos;
  }

  /** The monitor: how to wake it (from any thread; it must hand over to its own loop). */
  public void onWake(Runnable wake) {
    this.wake = wake;
  }

  /** The monitor took the wake: the next stale read may queue another. */
  public void woken() {
    wakeQueued.set(false);
  }

  /** The monitor polls slowly now: the next read wakes it. */
  public void slow(boolean slow) {
    if (this.slow != slow) {
      this.slow = slow;
    }
  }
}
