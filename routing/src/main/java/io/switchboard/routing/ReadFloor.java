package io.switchboard.routing;

import io.switchboard.config.HostAndPort;

/**
 * Read-your-writes for one session: after it writes, its reads need a node that has applied the
 * primary's replication offset as observed after that write. The offset comes from the replication
 * monitor's {@code ROLE} poll of the primary: one asked after the write was answered covers it.
 * Until such an offset is known, no replica qualifies ({@link #NO_REPLICA}).
 *
 * <p>Offsets are per primary: with several shards the floor is found (and kept) for the primary of
 * the shard read from. When slots changed shards after the write (a resharding, a failover), a key
 * the session wrote may have reached this shard only then: the offset must then be asked after that
 * change too.
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

  /** The primary {@link #floor} is an offset of, and the moment it had to be asked after. */
  private HostAndPort floorPrimary;

  private long floorSince;

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
    return floor(replication, primary, Long.MIN_VALUE);
  }

  /**
   * The offset a node of {@code primary}'s shard must have applied to serve this session's reads,
   * the topology having last moved slots at {@code slotsMovedAtNanos} ({@link Long#MIN_VALUE}:
   * never).
   */
  public long floor(ReplicationSnapshot replication, HostAndPort primary, long slotsMovedAtNanos) {
    if (!wrote || primary == null) {
      return wrote ? NO_REPLICA : NONE;
    }
    long since =
        slotsMovedAtNanos != Long.MIN_VALUE && slotsMovedAtNanos - lastWriteNanos > 0
            ? slotsMovedAtNanos
            : lastWriteNanos;
    if (floor >= 0 && primary.equals(floorPrimary) && floorSince == since) {
      return floor;
    }
    ReplicationSnapshot.PrimaryOffset known = replication.primary(primary);
    if (known != null && known.askedAtNanos() - since > 0) {
      floor = known.offset();
      floorPrimary = primary;
      floorSince = since;
      return floor;
    }
    return NO_REPLICA;
  }
}
