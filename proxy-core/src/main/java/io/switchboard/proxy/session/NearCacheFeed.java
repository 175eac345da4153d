package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * What keeps the near cache true: a BCAST group on the primaries (the cache's prefixes, or every
 * key), on one event loop, whose invalidations drop cached replies. The cache serves nothing until
 * every primary has the broadcast on, and drops everything when a connection of the group is lost
 * (a failover, a reconnect) until the group is whole again.
 */
final class NearCacheFeed implements BroadcastTracking.Member {

  private final NearCache cache;
  private final BroadcastTracking broadcast;
  private final List<String> prefixes;

  NearCacheFeed(NearCache cache, BroadcastTracking broadcast, List<String> prefixes) {
    this.cache = cache;
    this.broadcast = broadcast;
    this.prefixes = prefixes.isEmpty() ? List.of("") : prefixes;
  }

  /** Joins the group (on the group's loop); the cache goes live once the group is ready. */
  void start() {
    broadcast.join(this, prefixes);
    goLiveWhenReady();
  }

  private void goLiveWhenReady() {
    broadcast.whenReady(
        prefixes,
        refused -> {
          if (refused == null) {
            cache.feedLive();
          }
        });
  }

  @Override
  public boolean listening() {
    return true;
  }

  @Override
  public void invalidated(ByteBuf payload) {
    try {
      if (!InvalidationKeys.forEach(payload, payload.readerIndex(), cache::invalidate)) {
        cache.flushed(); // a null: FLUSHALL or FLUSHDB
      }
    } finally {
      payload.release();
    }
  }

  @Override
  public void invalidatedAll() {
    cache.feedLost();
    goLiveWhenReady();
  }
}
