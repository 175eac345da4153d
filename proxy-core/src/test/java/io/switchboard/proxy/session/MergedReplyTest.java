package io.switchboard.proxy.session;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.switchboard.routing.ClusterPolicy.Merge;
import org.junit.jupiter.api.Test;

/** How the replies of a command's parts become the client's one reply. */
class MergedReplyTest {

  private static ByteBuf resp(String text) {
    return Unpooled.copiedBuffer(text, UTF_8);
  }

  /** Feeds the parts in order; returns the merged reply as text (null parts before the last). */
  private static String merge(MergedReply merged, String... parts) {
    ByteBuf out = null;
    for (int i = 0; i < parts.length; i++) {
      out = merged.take(resp(parts[i]));
      assertThat(out == null).as("a reply only with the last part").isEqualTo(i < parts.length - 1);
    }
    try {
      return out.toString(UTF_8);
    } finally {
      out.release();
    }
  }

  private static MergedReply of(Merge merge, int parts, int[][] positions, int protocol) {
    return new MergedReply(merge, UnpooledByteBufAllocator.DEFAULT, protocol, parts, positions, 3);
  }

  @Test
  void mgetValuesGoBackWhereTheClientAskedForThem() {
    MergedReply merged = of(Merge.BY_KEY_POSITION, 2, new int[][] {{0, 3}, {1, 2}}, 2);
    assertThat(merge(merged, "*2\r\n$1\r\na\r\n$1\r\nd\r\n", "*2\r\n$-1\r\n$1\r\nc\r\n"))
        .isEqualTo("*4\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n$1\r\nd\r\n");
  }

  @Test
  void countsAddUpAndTheFirstErrorWins() {
    assertThat(merge(of(Merge.SUM, 3, null, 2), ":2\r\n", ":0\r\n", ":5\r\n")).isEqualTo(":7\r\n");
    assertThat(merge(of(Merge.SUM, 3, null, 2), ":2\r\n", "-ERR one\r\n", "-ERR two\r\n"))
        .isEqualTo("-ERR one\r\n");
    assertThat(merge(of(Merge.SAME, 2, null, 2), "+OK\r\n", "+OK\r\n")).isEqualTo("+OK\r\n");
  }

  @Test
  void arraysJoinAndScriptExistsNeedsEveryPrimary() {
    assertThat(merge(of(Merge.CONCAT, 2, null, 2), "*1\r\n$1\r\na\r\n", "*0\r\n"))
        .isEqualTo("*1\r\n$1\r\na\r\n");
    assertThat(merge(of(Merge.AND, 2, null, 2), "*2\r\n:1\r\n:1\r\n", "*2\r\n:0\r\n:1\r\n"))
        .isEqualTo("*2\r\n:0\r\n:1\r\n");
  }

  @Test
  void infoKeepsTheFirstPrimarysTextWithKeyspaceSummedAndTheShardsCounted() {
    String first =
        "# Server\r\nredis_version:7.0.15\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n\r\n"
            + "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=10\r\n";
    String second =
        "# Server\r\nredis_version:7.0.15\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n\r\n"
            + "# Keyspace\r\ndb0:keys=4,expires=0,avg_ttl=30\r\n";
    String merged =
        merge(
            of(Merge.INFO, 2, null, 3),
            "=" + (first.length() + 4) + "\r\ntxt:" + first + "\r\n",
            "$" + second.length() + "\r\n" + second + "\r\n");
    assertThat(merged)
        .startsWith("=")
        .contains("redis_version:7.0.15")
        .contains("cluster_enabled:1\r\nswitchboard_shards:3\r\n")
        .contains("db0:keys=7,expires=1,avg_ttl=30")
        .doesNotContain("keys=3");
  }

  @Test
  void aClosedSessionReleasesThePartsItHeld() {
    MergedReply merged = of(Merge.SUM, 3, null, 2);
    ByteBuf first = resp(":1\r\n");
    assertThat(merged.take(first)).isNull();
    merged.release();
    assertThat(first.refCnt()).isZero();
  }
}
