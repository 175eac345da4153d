package io.switchboard.proxy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts backend connections held by single sessions (transactions, blocking commands,
 * subscriptions) across all event loops, against {@code limits.max-exclusive-connections}: each
 * costs a server connection, and a flood of blocked clients must not exhaust the server's {@code
 * maxclients}.
 */
final class ExclusiveBudget {

  private final int max;
  private final AtomicInteger inUse = new AtomicInteger();

  ExclusiveBudget(int max) {
    this.max = max;
  }

  boolean tryAcquire() {
    while (true) {
      int now = inUse.get();
      if (now >= max) {
        return false;
      }
      if (inUse.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void release() {
    inUse.decrementAndGet();
  }

  int inUse() {
    return inUse.get();
  }

  int max() {
    return max;
  }
}
