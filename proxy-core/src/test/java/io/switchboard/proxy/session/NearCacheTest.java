package io.switchboard.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.config.CacheConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.routing.ReplicationSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The near cache's rule: a read is cached only if nothing invalidated its key meanwhile. */
class NearCacheTest {

  private static ByteBuf request(String key) {
    return Unpooled.copiedBuffer(
        "*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n", StandardCharsets.UTF_8);
  }

  private static final ByteBuf GET_K = request("k");
  private static final ByteBuf GET_J = request("j");

  private static NearCache liveCache() {
    NearCache cache =
        new NearCache(
            new CacheConfig(true, 1 << 20, Set.of("GET"), List.of()),
            new ProxyMetrics(new AtomicReference<>(ReplicationSnapshot.NONE), () -> 0, () -> 0));
    cache.feedLive();
    return cache;
  }

  private static ByteBuf reply(String value) {
    return Unpooled.copiedBuffer(
        "$" + value.length() + "\r\n" + value + "\r\n", StandardCharsets.UTF_8);
  }

  private static String cached(NearCache cache) {
    ByteBuf hit = cache.lookup("k", 0, 2, GET_K);
    return hit == null ? null : hit.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aReadWithNothingInTheWayIsCachedAndServedAsTheServerSentIt() {
    NearCache cache = liveCache();
    cache.complete(cache.startFill("k", 0, 2, GET_K), reply("v1"));
    assertThat(cached(cache)).isEqualTo("$2\r\nv1\r\n");
    assertThat(cache.lookup("k", 0, 3, GET_K)).as("another protocol's reply").isNull();
    assertThat(cache.lookup("k", 1, 2, GET_K)).as("another database's").isNull();
  }

  @Test
  void anInvalidationWhileTheReadIsInFlightKeepsItOutOfTheCache() {
    NearCache cache = liveCache();
    NearCache.Fill fill = cache.startFill("k", 0, 2, GET_K);
    cache.invalidate("k"); // a write raced the read: its value may be the old one
    cache.complete(fill, reply("old"));
    assertThat(cached(cache)).isNull();
  }

  @Test
  void anInvalidationDropsWhatIsCached() {
    NearCache cache = liveCache();
    cache.complete(cache.startFill("k", 0, 2, GET_K), reply("v1"));
    cache.invalidate("k");
    assertThat(cached(cache)).isNull();
  }

  @Test
  void withoutTheFeedNothingIsServedNorCached() {
    NearCache cache = liveCache();
    cache.complete(cache.startFill("k", 0, 2, GET_K), reply("v1"));
    NearCache.Fill inFlight = cache.startFill("j", 0, 2, GET_J);
    cache.feedLost();
    assertThat(cached(cache)).isNull();
    assertThat(cache.startFill("k", 0, 2, GET_K))
        .as("no fill while writes may go unheard")
        .isNull();
    cache.feedLive();
    cache.complete(inFlight, reply("w"));
    assertThat(cache.lookup("j", 0, 2, GET_J)).as("begun before the loss").isNull();
  }

  @Test
  void errorsAreNotCached() {
    NearCache cache = liveCache();
    cache.complete(
        cache.startFill("k", 0, 2, GET_K),
        Unpooled.copiedBuffer("-WRONGTYPE x\r\n", StandardCharsets.UTF_8));
    assertThat(cached(cache)).isNull();
  }
}
