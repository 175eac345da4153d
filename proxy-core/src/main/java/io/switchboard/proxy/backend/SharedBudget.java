package io.switchboard.proxy.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound shared by every event loop: backend connections held by single sessions against {@code
 * limits.max-exclusive-connections} (a flood of blocked clients must not exhaust the server's
 * {@code maxclients}), or request bytes held during a failover against {@code failover.hold-bytes}.
 * Touched only when such a resource is taken or given back, never per forwarded command.
 */
public final class SharedBudget {

  /** Changed by a reload (limits.max-exclusive-connections); what is in use stays in use. */
  private volatile long max;

  private final AtomicLong inUse = new AtomicLong();

  public SharedBudget(long max) {
    this.max = max;
  }

  public void limit(long newMax) {
    max = newMax;
  }

  boolean tryAcquire() {
    return tryAcquire(1);
  }

  boolean tryAcquire(long amount) {
    while (true) {
      long now = inUse.get();
      if (now + amount > max) {
        return false;
      }
      if (inUse.compareAndSet(now, now + amount)) {
        return true;
      }
    }
  }

  void release() {
    release(1);
  }

  void release(long amount) {
    inUse.addAndGet(-amount);
  }

  public long inUse() {
    return inUse.get();
  }
}
