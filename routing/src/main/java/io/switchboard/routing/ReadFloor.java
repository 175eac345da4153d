package io.switchboard.routing;

import io.switchboard.config.HostAndPort;

/**
 * Read-your-writes for one session: after it writes, its reads need a node that has applied the
 * primary's replication offset as observed after that write. The offset comes from the replication
 * monitor's {@code ROLE} poll of the primary: one asked after the write was answered covers it.
 * Until such an offset is known, no replica qualifies ({@link #NO_REPLICA}).
 */
public final class ReadFloor {

  /** No floor: any eligible node may serve. */
  public static final long NONE = -1;

  /** A floor no replica reaches: the primary serves. */
  public static final long NO_REPLICA = Long.MAX_VALUE;

  private final boolean enabled;
  private boolean wrote;
  private long lastWriteNanos;
  private long floor = NONE;

  /**
   * @param enabled whether the session's consistency is read-your-writes
   */
  public ReadFloor(boolean enabled) {
    this.enabled = enabled;
  }

  /** Whether the session's consistency is read-your-writes. */
  public boolean enabled() {
    return enabled;
  }

  /** The session's write was answered at {@code now}. */
  public void wrote(long now) {
    if (enabled) {
      wrote = true;
      lastWriteNanos = now;
      floor = NONE;
    }
  }

  /** The offset a node must have applied to serve this session's reads. */
  public long floor(ReplicationSnapshot replication, HostAndPort primary) {
    if (!wrote) {
      return NONE;
    }
    if (floor >= 0) {
      return floor;
    }
    ReplicationSnapshot.PrimaryOffset known = primary == null ? null : replication.primary(primary);
    if (known != null && known.askedAtNanos() - lastWriteNanos > 0) {
      floor = known.offset();
      return floor;
    }
    return NO_REPLICA;
  }
}
