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
  void keylessAndMovableKeyCommandsNameNoSlot() {
    assertThat(slot("PING")).isEqualTo(KeySlots.KEYLESS);
    assertThat(slot("EVAL", "return 1", "1", "k")).isEqualTo(KeySlots.KEYLESS);
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
}
