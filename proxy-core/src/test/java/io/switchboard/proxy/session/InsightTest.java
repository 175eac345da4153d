package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.proxy.insight.HotKeyRanking;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the operator's tools see of the commands passing through one event loop. */
class InsightTest {

  @Test
  void aSkewedLoadPutsItsHotKeyFirst() {
    try (CoreHarness core = new CoreHarness().started()) {
      CoreHarness.Client client = core.client();
      for (int i = 0; i < 2000; i++) {
        client.send("GET", "hot:1");
        client.send("GET", "cold:" + i);
        if (i % 10 == 0) {
          client.send("GET", "warm:1");
        }
      }
      List<HotKeyRanking.Ranked> top = HotKeyRanking.top(List.of(core.loop.hotKeys()), 3, false);
      assertThat(top.get(0).key()).isEqualTo("hot:1");
      assertThat(top.get(0).requests()).as("about 2000, sampled").isBetween(1500L, 2600L);
      assertThat(top.get(1).key()).isEqualTo("warm:1");
      assertThat(top.get(1).requests()).isLessThan(top.get(0).requests() / 4);

      List<HotKeyRanking.Ranked> hashed = HotKeyRanking.top(List.of(core.loop.hotKeys()), 1, true);
      assertThat(hashed.get(0).key()).as("a SHA-256 prefix, not the name").matches("[0-9a-f]{16}");
    }
  }

  @Test
  void hotKeysCanBeTurnedOff() {
    try (CoreHarness core = new CoreHarness("switchboard.hotkeys.enabled = false").started()) {
      CoreHarness.Client client = core.client();
      for (int i = 0; i < 200; i++) {
        client.send("GET", "hot:1");
      }
      assertThat(core.loop.hotKeys()).isEmpty();
    }
  }

  @Test
  void aSlowCommandIsLoggedWithItsNodeAndAnsweredBySlowlogInRedisShape() {
    try (CoreHarness core = new CoreHarness("switchboard.slowlog.threshold = 0").started()) {
      CoreHarness.Client client = core.client();
      client.send("SET", "k", "v");
      core.answer(PRIMARY, "+OK\r\n");
      assertThat(client.replies()).isEqualTo("+OK\r\n");

      client.send("SLOWLOG", "LEN");
      assertThat(client.replies()).isEqualTo(":1\r\n");
      client.send("SLOWLOG", "GET");
      String reply = client.replies();
      assertThat(reply)
          .startsWith("*1\r\n*6\r\n:0\r\n:")
          .contains("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
      assertThat(core.loop.insight().slowLog().latest(1).get(0).node())
          .isEqualTo(PRIMARY.toString());

      client.send("SLOWLOG", "GET", "-2");
      assertThat(client.replies())
          .isEqualTo("-ERR count should be greater than or equal to -1\r\n");
      client.send("SLOWLOG", "RESET").send("SLOWLOG", "LEN");
      assertThat(client.replies()).isEqualTo("+OK\r\n:0\r\n");
    }
  }

  @Test
  void bigRequestsAndRepliesAreRecordedWithTheirKeyAndNode() {
    try (CoreHarness core = new CoreHarness("switchboard.bigkeys.threshold = 1k").started()) {
      CoreHarness.Client client = core.client();
      String big = "x".repeat(2000);
      client.send("SET", "big:1", big);
      core.answer(PRIMARY, "+OK\r\n");
      client.send("GET", "big:1");
      core.answer(PRIMARY, "$2000\r\n" + big + "\r\n");
      client.send("GET", "small");
      core.answer(PRIMARY, "$1\r\nx\r\n");

      var entries = core.loop.insight().bigKeys().recent();
      assertThat(entries).hasSize(2);
      assertThat(entries.get(0).reply()).isTrue();
      assertThat(entries.get(0).key()).isEqualTo("big:1");
      assertThat(entries.get(0).node()).isEqualTo(PRIMARY.toString());
      assertThat(entries.get(0).bytes()).isEqualTo(2000 + 9);
      assertThat(entries.get(1).reply()).isFalse();
      assertThat(entries.get(1).command()).isEqualTo("SET");
      assertThat(entries.get(1).key()).isEqualTo("big:1");
    }
  }
}
