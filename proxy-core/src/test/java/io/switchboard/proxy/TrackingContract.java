package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Part of {@link RedisSemanticsContract}: CLIENT TRACKING (client-side caching) in RESP3, as a
 * client sees it. Every check reads the invalidation pushes that arrive before the reply of a later
 * read, which the server answers only after it sent them.
 */
interface TrackingContract {

  HostAndPort target();

  private RespClient resp3() throws IOException {
    RespClient client = RespClient.connect(target(), Duration.ofSeconds(10));
    client.call("HELLO", "3");
    return client;
  }

  private RespClient plain() throws IOException {
    return RespClient.connect(target(), Duration.ofSeconds(10));
  }

  private static String key(String name) {
    return "it:track:" + UUID.randomUUID() + ":" + name;
  }

  /**
   * Sends {@code command} and returns what came before its reply: the push frames, each as its
   * value (["invalidate", [keys]] or ["invalidate", null]).
   */
  private static List<Object> pushesBefore(RespClient client, Object... command)
      throws IOException {
    client.send(RespClient.encode(command));
    List<Object> pushes = new ArrayList<>();
    while (true) {
      String raw = client.readRaw();
      if (!raw.startsWith(">")) {
        return pushes;
      }
      ByteBuf frame = Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8);
      try {
        pushes.add(RespValue.parse(frame));
      } finally {
        frame.release();
      }
    }
  }

  /** The pushes that arrived by the time a later read was answered. */
  private static List<Object> pushesSoFar(RespClient client) throws IOException {
    return pushesBefore(client, "EXISTS", "it:track:nothing-here");
  }

  /**
   * Another client's write, acknowledged by every replica: a read served by a replica is
   * invalidated by that replica once it applied the write, and WAIT returns only after.
   */
  private static void write(RespClient writer, Object... command) throws IOException {
    assertThat(writer.call(command)).isNotInstanceOf(RespValue.Error.class);
    writer.call("WAIT", "2", "5000");
  }

  private static List<Object> invalidated(String... keys) {
    return List.of(List.of("invalidate", Arrays.asList(keys)));
  }

  @Test
  default void aTrackedReadIsInvalidatedOnceWhenAnotherClientWritesTheKey() throws IOException {
    String k = key("default");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      assertThat(tracking.call("CLIENT", "TRACKING", "ON")).isEqualTo("OK");
      write(writer, "SET", k, "v1");
      assertThat(pushesBefore(tracking, "GET", k)).isEmpty();
      write(writer, "SET", k, "v2");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(k));
      write(writer, "SET", k, "v3");
      assertThat(pushesSoFar(tracking)).as("not read again: no longer tracked").isEmpty();
      assertThat(pushesBefore(tracking, "GET", k)).isEmpty();
      write(writer, "DEL", k);
      assertThat(pushesSoFar(tracking)).as("read again: tracked again").isEqualTo(invalidated(k));
      assertThat(tracking.call("CLIENT", "TRACKING", "OFF")).isEqualTo("OK");
      assertThat(pushesBefore(tracking, "GET", k)).isEmpty();
      write(writer, "SET", k, "v4");
      assertThat(pushesSoFar(tracking)).as("tracking off").isEmpty();
      write(writer, "DEL", k);
    }
  }

  @Test
  default void everyKeyOfAMultiKeyReadIsTracked() throws IOException {
    String a = key("{m}a");
    String b = key("{m}b");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      tracking.call("CLIENT", "TRACKING", "ON");
      tracking.call("MGET", a, b);
      write(writer, "SET", b, "1");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(b));
      write(writer, "SET", a, "1");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(a));
      write(writer, "DEL", a, b);
    }
  }

  @Test
  default void optInTracksOnlyTheReadAfterCachingYes() throws IOException {
    String untracked = key("optin-no");
    String tracked = key("optin-yes");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "OPTIN")).isEqualTo("OK");
      tracking.call("GET", untracked);
      assertThat(tracking.call("CLIENT", "CACHING", "YES")).isEqualTo("OK");
      tracking.call("GET", tracked);
      write(writer, "SET", untracked, "1");
      write(writer, "SET", tracked, "1");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(tracked));
      write(writer, "DEL", untracked, tracked);
    }
  }

  @Test
  default void optOutTracksEveryReadButTheOneAfterCachingNo() throws IOException {
    String untracked = key("optout-no");
    String tracked = key("optout-yes");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "OPTOUT")).isEqualTo("OK");
      assertThat(tracking.call("CLIENT", "CACHING", "NO")).isEqualTo("OK");
      tracking.call("GET", untracked);
      tracking.call("GET", tracked);
      write(writer, "SET", untracked, "1");
      write(writer, "SET", tracked, "1");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(tracked));
      write(writer, "DEL", untracked, tracked);
    }
  }

  @Test
  default void noLoopLeavesOutTheClientsOwnWrites() throws IOException {
    String k = key("noloop");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "NOLOOP")).isEqualTo("OK");
      tracking.call("GET", k);
      assertThat(pushesBefore(tracking, "SET", k, "mine")).isEmpty();
      assertThat(pushesSoFar(tracking)).as("its own write").isEmpty();
      tracking.call("GET", k);
      write(writer, "SET", k, "theirs");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(k));
      write(writer, "DEL", k);
    }
  }

  @Test
  default void withoutNoLoopTheClientHearsOfItsOwnWrite() throws IOException {
    String k = key("loop");
    try (RespClient tracking = resp3()) {
      tracking.call("CLIENT", "TRACKING", "ON");
      tracking.call("GET", k);
      List<Object> pushes = pushesBefore(tracking, "SET", k, "mine");
      pushes.addAll(pushesSoFar(tracking));
      assertThat(pushes).isEqualTo(invalidated(k));
      tracking.call("DEL", k);
    }
  }

  @Test
  default void aFlushInvalidatesEverythingWithANullKeyList() throws IOException {
    String k = key("flush");
    try (RespClient tracking = resp3();
        RespClient flusher = plain()) {
      tracking.call("CLIENT", "TRACKING", "ON");
      tracking.call("GET", k);
      flusher.call("SELECT", "9");
      assertThat(flusher.call("FLUSHDB")).isEqualTo("OK");
      flusher.call("WAIT", "2", "5000");
      List<Object> nullKeys = new ArrayList<>();
      nullKeys.add("invalidate");
      nullKeys.add(null);
      assertThat(pushesSoFar(tracking)).containsExactly(nullKeys);
    }
  }

  @Test
  default void broadcastTellsOfWritesToKeysWithItsPrefixesWithoutAnyRead() throws IOException {
    String prefix = key("bcast:");
    String other = key("elsewhere");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", prefix))
          .isEqualTo("OK");
      write(writer, "SET", other, "1");
      write(writer, "SET", prefix + "a", "1");
      assertThat(pushesSoFar(tracking)).isEqualTo(invalidated(prefix + "a"));
      write(writer, "SET", prefix + "a", "2");
      assertThat(pushesSoFar(tracking))
          .as("told again: nothing to read")
          .isEqualTo(invalidated(prefix + "a"));
      assertThat(tracking.call("CLIENT", "TRACKINGINFO"))
          .isEqualTo(
              Map.of("flags", List.of("on", "bcast"), "redirect", 0L, "prefixes", List.of(prefix)));
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", prefix + "x"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR Prefix '"
                      + prefix
                      + "x' overlaps with an existing prefix '"
                      + prefix
                      + "'. Prefixes for a single client must not overlap."));
      assertThat(tracking.call("CLIENT", "TRACKING", "ON"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR You can't switch BCAST mode on/off before disabling tracking for this"
                      + " client, and then re-enabling it with a different mode."));
      assertThat(tracking.call("CLIENT", "TRACKING", "OFF")).isEqualTo("OK");
      write(writer, "SET", prefix + "a", "3");
      assertThat(pushesSoFar(tracking)).as("tracking off").isEmpty();
      write(writer, "DEL", prefix + "a", other);
    }
  }

  @Test
  default void aResp2ClientRedirectsItsInvalidationsToASubscriber() throws IOException {
    String k = key("redirect");
    try (RespClient subscriber = plain();
        RespClient tracking = plain();
        RespClient writer = plain()) {
      Object id = subscriber.call("CLIENT", "ID");
      assertThat(subscriber.call("SUBSCRIBE", "__redis__:invalidate"))
          .isEqualTo(List.of("subscribe", "__redis__:invalidate", 1L));
      assertThat(tracking.call("CLIENT", "TRACKING", "ON", "REDIRECT", String.valueOf(id)))
          .isEqualTo("OK");
      assertThat(tracking.call("CLIENT", "GETREDIR")).isEqualTo(id);
      tracking.call("GET", k);
      write(writer, "SET", k, "1");
      assertThat(subscriber.readWithin(Duration.ofSeconds(5)))
          .isEqualTo(List.of("message", "__redis__:invalidate", List.of(k)));
      write(writer, "DEL", k);
    }
  }

  @Test
  default void aRedirectToAClientThatLeftIsReportedBroken() throws IOException {
    String k = key("broken");
    try (RespClient tracking = resp3();
        RespClient writer = plain()) {
      Object id;
      try (RespClient target = resp3()) {
        id = target.call("CLIENT", "ID");
        assertThat(tracking.call("CLIENT", "TRACKING", "ON", "REDIRECT", String.valueOf(id)))
            .isEqualTo("OK");
        tracking.call("GET", k);
      }
      // Until the server has seen the target leave, the invalidation may still go there.
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !String.valueOf(writer.call("CLIENT", "LIST")).contains("id=" + id + " "));
      write(writer, "SET", k, "1");
      assertThat(pushesSoFar(tracking)).containsExactly(List.of("tracking-redir-broken", id));
      assertThat(((Map<?, ?>) tracking.call("CLIENT", "TRACKINGINFO")).get("flags"))
          .isEqualTo(List.of("on", "broken_redirect"));
      write(writer, "DEL", k);
    }
  }

  @Test
  default void aRedirectNeedsAnExistingClient() throws IOException {
    try (RespClient client = plain()) {
      assertThat(client.call("CLIENT", "TRACKING", "ON", "REDIRECT", "987654321"))
          .isEqualTo(new RespValue.Error("ERR The client ID you want redirect to does not exist"));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "REDIRECT", "x"))
          .isEqualTo(new RespValue.Error("ERR value is not an integer or out of range"));
    }
  }

  @Test
  default void trackingInfoAndGetRedirDescribeTheModeAsRedisDoes() throws IOException {
    try (RespClient client = resp3()) {
      assertThat(client.call("CLIENT", "GETREDIR")).isEqualTo(-1L);
      assertThat(client.call("CLIENT", "TRACKINGINFO"))
          .isEqualTo(Map.of("flags", List.of("off"), "redirect", -1L, "prefixes", List.of()));
      client.call("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP");
      client.call("CLIENT", "CACHING", "YES");
      assertThat(client.call("CLIENT", "TRACKINGINFO"))
          .isEqualTo(
              Map.of(
                  "flags",
                  List.of("on", "optin", "caching-yes", "noloop"),
                  "redirect",
                  0L,
                  "prefixes",
                  List.of()));
      assertThat(client.call("CLIENT", "GETREDIR")).isEqualTo(0L);
      assertThat(String.valueOf(client.call("CLIENT", "INFO"))).contains("flags=t ", "redir=0 ");
    }
  }

  @Test
  default void invalidTrackingCombinationsGetRedissErrors() throws IOException {
    try (RespClient client = resp3()) {
      assertThat(client.call("CLIENT", "CACHING", "YES"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR CLIENT CACHING can be called only when the client is in tracking mode with"
                      + " OPTIN or OPTOUT mode enabled"));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "PREFIX", "a"))
          .isEqualTo(new RespValue.Error("ERR PREFIX option requires BCAST mode to be enabled"));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"))
          .isEqualTo(new RespValue.Error("ERR You can't specify both OPTIN mode and OPTOUT mode"));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"))
          .isEqualTo(new RespValue.Error("ERR OPTIN and OPTOUT are not compatible with BCAST"));
      assertThat(client.call("CLIENT", "TRACKING", "MAYBE"))
          .isEqualTo(new RespValue.Error("ERR syntax error"));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "OPTIN")).isEqualTo("OK");
      assertThat(client.call("CLIENT", "CACHING", "NO"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
      assertThat(client.call("CLIENT", "TRACKING", "ON", "OPTOUT"))
          .isEqualTo(
              new RespValue.Error(
                  "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this"
                      + " client, and then re-enabling it with a different mode."));
    }
  }
}
