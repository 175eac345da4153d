package io.switchboard.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.config.CacheConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.Replies;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's near cache (one per proxy, shared by the event loops): replies of single-key reads,
 * as the bytes the server sent, by key and then by the exact request (database, protocol, and the
 * request's bytes). Caffeine holds at most {@code cache.max-bytes}, weighed by bytes.
 *
 * <p>Why it is never stale: a value is cached only while the feed of the primaries' broadcast
 * tracking is live (its epoch unchanged from the read's start to its reply), and only if no
 * invalidation of its key came while the read was in flight: the standard "cache the read only if
 * no write raced it" rule. An invalidation and a read's completion are one atomic step per key
 * (Caffeine's {@code compute}), so a read completing on one loop never re-inserts what another loop
 * just invalidated. A lost feed drops everything, and nothing is cached until it is live again.
 */
public final class NearCache {

  /** A read in flight that may fill the cache: its key and exact request. */
  static final class Fill {
    final String key;
    final int db;
    final int protocol;
    final byte[] request;
    final long epoch;

    Fill(String key, int db, int protocol, byte[] request, long epoch) {
      this.key = key;
      this.db = db;
      this.protocol = protocol;
      this.request = request;
      this.epoch = epoch;
    }
  }

  /**
   * One cached reply: to this exact request (the frame's bytes) in this database and protocol. A
   * key has a few at most (GET in RESP2 and RESP3, HGET of a few fields): found by comparing bytes,
   * without building a lookup key per read.
   */
  private record Variant(int db, int protocol, byte[] request, byte[] reply) {
    boolean answers(int db, int protocol, ByteBuf frame) {
      if (this.db != db || this.protocol != protocol || frame.readableBytes() != request.length) {
        return false;
      }
      int at = frame.readerIndex();
      for (int i = 0; i < request.length; i++) {
        if (frame.getByte(at + i) != request[i]) {
          return false;
        }
      }
      return true;
    }
  }

  /** Entry overhead counted with the bytes: the arrays and records, the key's header. */
  private static final int OVERHEAD = 96;

  private final CacheConfig config;
  private final ProxyMetrics metrics;
  private final Cache<String, Variant[]> replies;
  private final Map<String, Fill> fills = new ConcurrentHashMap<>();

  private volatile long epoch;
  private volatile boolean live;

  public NearCache(CacheConfig config, ProxyMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.replies =
        Caffeine.newBuilder()
            .maximumWeight(config.maxBytes())
            .<String, Variant[]>weigher(NearCache::weight)
            .removalListener(
                (key, value, cause) -> {
                  if (cause == RemovalCause.SIZE) {
                    metrics.nearCacheEviction();
                  }
                })
            .executor(Runnable::run)
            .build();
    metrics.nearCacheBytes(
        () -> replies.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L));
  }

  private static int weight(String key, Variant[] variants) {
    long bytes = OVERHEAD + key.length();
    for (Variant variant : variants) {
      bytes += OVERHEAD + variant.request().length + variant.reply().length;
    }
    return (int) Math.min(Integer.MAX_VALUE, bytes);
  }

  /** Whether {@code command} (upper case) is cached, for a key with a cached prefix. */
  boolean caches(String command, String key) {
    if (!config.commands().contains(command)) {
      return false;
    }
    if (config.prefixes().isEmpty()) {
      return true;
    }
    for (String prefix : config.prefixes()) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The cached reply to {@code frame} (the whole request) on {@code key}, as a buffer of its own;
   * null: a miss.
   */
  ByteBuf lookup(String key, int db, int protocol, ByteBuf frame) {
    Variant[] variants = live ? replies.getIfPresent(key) : null;
    if (variants != null) {
      for (Variant variant : variants) {
        if (variant.answers(db, protocol, frame)) {
          metrics.nearCacheHit();
          return Unpooled.wrappedBuffer(variant.reply());
        }
      }
    }
    metrics.nearCacheMiss();
    return null;
  }

  /** A miss about to be read from the primary; null when its reply may not be cached. */
  Fill startFill(String key, int db, int protocol, ByteBuf frame) {
    if (!live) {
      return null;
    }
    byte[] request = new byte[frame.readableBytes()];
    frame.getBytes(frame.readerIndex(), request);
    Fill fill = new Fill(key, db, protocol, request, epoch);
    fills.put(key, fill); // a later read of the key supersedes an earlier one still in flight
    return fill;
  }

  /** The fill's reply will not come: its key waits for it no longer (the map stays bounded). */
  void abandon(Fill fill) {
    fills.remove(fill.key, fill);
  }

  /** The fill's reply came: cached unless its key was invalidated, or the feed lost, meanwhile. */
  void complete(Fill fill, ByteBuf reply) {
    if (Replies.isError(reply)) {
      fills.remove(fill.key, fill);
      return;
    }
    byte[] bytes = new byte[reply.readableBytes()];
    reply.getBytes(reply.readerIndex(), bytes);
    Variant added = new Variant(fill.db, fill.protocol, fill.request, bytes);
    replies
        .asMap()
        .compute(
            fill.key,
            (key, variants) -> {
              if (!fills.remove(key, fill) || fill.epoch != epoch || !live) {
                return variants;
              }
              return with(variants, added);
            });
  }

  /** The variants with {@code added} in place of the one for the same request. */
  private static Variant[] with(Variant[] variants, Variant added) {
    if (variants == null) {
      return new Variant[] {added};
    }
    for (int i = 0; i < variants.length; i++) {
      Variant old = variants[i];
      if (old.db() == added.db()
          && old.protocol() == added.protocol()
          && Arrays.equals(old.request(), added.request())) {
        Variant[] next = variants.clone();
        next[i] = added;
        return next;
      }
    }
    Variant[] next = Arrays.copyOf(variants, variants.length + 1);
    next[variants.length] = added;
    return next;
  }

  /** The key changed: its replies go, and a read of it in flight will not be cached. */
  void invalidate(String key) {
    replies
        .asMap()
        .compute(
            key,
            (k, variants) -> {
              fills.remove(k);
              if (variants != null) {
                metrics.nearCacheInvalidation();
              }
              return null;
            });
  }

  /** The feed is live: the primaries' broadcasts are on, every write from now on is heard. */
  void feedLive() {
    live = true;
  }

  /** The feed was lost: writes may go unheard, so nothing cached stays, and nothing is cached. */
  void feedLost() {
    live = false;
    flushed();
  }

  /** Every key changed (FLUSHALL): nothing cached stays, no read in flight is cached. */
  void flushed() {
    epoch++;
    fills.clear();
    replies.invalidateAll();
  }
}
