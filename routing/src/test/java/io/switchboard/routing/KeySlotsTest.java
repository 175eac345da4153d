package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeySlotsTest {

  private final CommandTable table = CommandTable.builtIn();

  private int slot(String... request) {
    CommandArgs args = CommandArgs.of(request);
    CommandSpec spec = Commands.classify(table, args);
    return KeySlots.of(spec, CommandArgs.of(request));
  }

  @Test
  void aSingleKeyCommandHasItsKeysSlot() {
    assertThat(slot("GET", "foo")).isEqualTo(12182);
    assertThat(slot("OBJECT", "ENCODING", "foo"))
        .as("a subcommand's key position")
        .isEqualTo(12182);
  }

  @Test
  void multiKeyCommandsShareASlotOnlyWithHashTags() {
    assertThat(slot("MSET", "{u1}.a", "1", "{u1}.b", "2")).isEqualTo(KeySlot.of("u1"));
    assertThat(slot("MSET", "a", "1", "b", "2")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("DEL", "{x}1", "{x}2", "{x}3")).isEqualTo(KeySlot.of("x"));
  }

  @Test
  void keylessCommandsNameNoSlot() {
    assertThat(slot("PING")).isEqualTo(KeySlots.KEYLESS);
    assertThat(slot("EVAL", "return 1", "0")).isEqualTo(KeySlots.KEYLESS);
    assertThat(slot("EVAL", "return 1", "x")).as("a bad count: the server's error").isEqualTo(-1);
  }

  @Test
  void movableKeysAreFoundAsTheKeySpecsSay() {
    int k = KeySlot.of("k");
    assertThat(slot("EVAL", "return 1", "1", "k", "arg")).isEqualTo(k);
    assertThat(slot("EVALSHA", "abc", "2", "{k}1", "{k}2", "arg")).isEqualTo(k);
    assertThat(slot("EVAL", "return 1", "2", "a", "b")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("EVAL", "return 1", "1", "k", "b"))
        .as("arguments after the keys are not keys")
        .isEqualTo(k);
    assertThat(slot("FCALL", "f", "1", "k")).isEqualTo(k);
    assertThat(slot("ZUNION", "2", "{k}a", "{k}b", "WITHSCORES")).isEqualTo(k);
    assertThat(slot("ZUNION", "2", "a", "b")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("ZUNIONSTORE", "dest", "1", "k")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("ZUNIONSTORE", "{k}d", "1", "k")).isEqualTo(k);
    assertThat(slot("LMPOP", "1", "k", "LEFT")).isEqualTo(k);
    assertThat(slot("BLMPOP", "0", "1", "k", "LEFT")).isEqualTo(k);
    assertThat(slot("XREAD", "COUNT", "1", "STREAMS", "{k}1", "{k}2", "0", "0")).isEqualTo(k);
    assertThat(slot("XREAD", "STREAMS", "a", "b", "0", "0")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">")).isEqualTo(k);
    assertThat(slot("SORT", "k", "LIMIT", "0", "1")).isEqualTo(k);
    assertThat(slot("SORT", "k", "STORE", "other")).isEqualTo(KeySlots.CROSS_SLOT);
    assertThat(slot("SORT", "{k}", "store", "{k}out")).isEqualTo(k);
    assertThat(slot("GEORADIUS", "k", "0", "0", "1", "km", "STOREDIST", "d"))
        .isEqualTo(KeySlots.CROSS_SLOT);
  }

  @Test
  void oneShardServesEverythingAndSeveralSplitBySlot() {
    HostAndPort a = new HostAndPort("a", 1);
    HostAndPort b = new HostAndPort("b", 1);
    Topology sentinel = Topology.of("m", a, List.of());
    CommandArgs cross = CommandArgs.of("MSET", "a", "1", "b", "2");
    assertThat(
            KeySlots.shardOf(
                sentinel,
                Commands.classify(table, cross),
                CommandArgs.of("MSET", "a", "1", "b", "2")))
        .isSameAs(sentinel.only());
    Shard low = new Shard("low", a, List.of(), List.of(new SlotRange(0, 8191)), 1, false);
    Shard high = new Shard("high", b, List.of(), List.of(new SlotRange(8192, 16383)), 1, false);
    Topology cluster = new Topology(List.of(low, high), null);
    CommandArgs get = CommandArgs.of("GET", "foo");
    assertThat(
            KeySlots.shardOf(cluster, Commands.classify(table, get), CommandArgs.of("GET", "foo")))
        .isSameAs(high);
    assertThat(
            KeySlots.shardOf(
                cluster,
                Commands.classify(table, cross),
                CommandArgs.of("MSET", "a", "1", "b", "2")))
        .as("across slots: the caller splits or refuses")
        .isNull();
  }

  private int[] keys(String... request) {
    CommandSpec spec = Commands.classify(table, CommandArgs.of(request));
    return KeyPositions.all(spec, CommandArgs.of(request));
  }

  @Test
  void everyKeyOfACommandIsFoundByItsPositions() {
    assertThat(keys("GET", "foo")).containsExactly(1);
    assertThat(keys("MGET", "a", "b", "c")).containsExactly(1, 2, 3);
    assertThat(keys("MSET", "a", "1", "b", "2")).containsExactly(1, 3);
    assertThat(keys("HGET", "h", "f")).containsExactly(1);
    assertThat(keys("ZUNION", "2", "x", "y")).as("movable keys").containsExactly(2, 3);
    assertThat(keys("PING")).isEmpty();
  }
}
