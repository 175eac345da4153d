package io.switchboard.proxy.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.config.CacheConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's near cache (one per proxy, shared by the event loops): replies of single-key reads,
 * as the bytes the server sent, by key and then by the exact request (database, protocol, command
 * and arguments). Caffeine holds at most {@code cache.max-bytes}, weighed by bytes.
 *
 * <p>Why it is never stale: a value is cached only while the feed of the primaries' broadcast
 * tracking is live (its epoch unchanged from the read's start to its reply), and only if no
 * invalidation of its key came while the read was in flight: the standard "cache the read only if
 * no write raced it" rule. An invalidation and a read's completion are one atomic step per key
 * (Caffeine's {@code compute}), so a read completing on one loop never re-inserts what another loop
 * just invalidated. A lost feed drops everything, and nothing is cached until it is live again.
 */
public final class NearCache {

  /** A read in flight that may fill the cache. */
  static final class Fill {
    final String key;
    final String request;
    final long epoch;

    Fill(String key, String request, long epoch) {
      this.key = key;
      this.request = request;
      this.epoch = epoch;
    }
  }

  /** Entry overhead counted with the bytes: the maps, the strings' headers. */
  private static final int OVERHEAD = 96;

  private final CacheConfig config;
  private final ProxyMetrics metrics;
  private final Cache<String, Map<String, byte[]>> replies;
  private final Map<String, Fill> fills = new ConcurrentHashMap<>();

  private volatile long epoch;
  private volatile boolean live;

  public NearCache(CacheConfig config, ProxyMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.replies =
        Caffeine.newBuilder()
            .maximumWeight(config.maxBytes())
            .<String, Map<String, byte[]>>weigher(NearCache::weight)
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

  private static int weight(String key, Map<String, byte[]> variants) {
    long bytes = OVERHEAD + key.length();
    for (Map.Entry<String, byte[]> variant : variants.entrySet()) {
      bytes += OVERHEAD + variant.getKey().length() + variant.getValue().length;
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

  /** The cached reply to {@code request} on {@code key}, as a buffer of its own; null: a miss. */
  ByteBuf lookup(String key, String request) {
    Map<String, byte[]> variants = live ? replies.getIfPresent(key) : null;
    byte[] reply = variants == null ? null : variants.get(request);
    if (reply == null) {
      metrics.nearCacheMiss();
      return null;
    }
    metrics.nearCacheHit();
    return Unpooled.wrappedBuffer(reply);
  }

  /** A miss about to be read from the primary; null when its reply may not be cached. */
  Fill startFill(String key, String request) {
    if (!live) {
      return null;
    }
    Fill fill = new Fill(key, request, epoch);
    fills.put(key, fill); // a later read of the key supersedes an earlier one still in flight
    return fill;
  }

  /** The fill's reply came: cached unless its key was invalidated, or the feed lost, meanwhile. */
  void complete(Fill fill, ByteBuf reply) {
    byte type = reply.getByte(reply.readerIndex());
    if (type == '-' || type == '!') {
      fills.remove(fill.key, fill);
      return;
    }
    byte[] bytes = new byte[reply.readableBytes()];
    reply.getBytes(reply.readerIndex(), bytes);
    replies
        .asMap()
        .compute(
            fill.key,
            (key, variants) -> {
              if (!fills.remove(key, fill) || fill.epoch != epoch || !live) {
                return variants;
              }
              Map<String, byte[]> next =
                  variants == null ? new HashMap<>() : new HashMap<>(variants);
              next.put(fill.request, bytes);
              return Map.copyOf(next);
            });
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
