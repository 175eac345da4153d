package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CommandTableTest {

  private final CommandTable table = CommandTable.builtIn();

  @Test
  void namesMatchWhateverTheCaseWithoutBuildingStrings() {
    CommandSpec spec = table.lookup(CommandArgs.of("bLpOp", "list", "0"), 0);
    assertThat(spec.name()).isEqualTo("BLPOP");
    assertThat(spec.has(CommandSpec.BLOCKING)).isTrue();
    assertThat(table.lookup("ping")).isSameAs(table.lookup("PING"));
  }

  @Test
  void unknownCommandsAndPrefixesAreUnknownSoTheyGoToThePrimary() {
    assertThat(table.lookup("MODULE.THING")).isSameAs(CommandSpec.UNKNOWN);
    assertThat(table.lookup("PIN")).isSameAs(CommandSpec.UNKNOWN);
    assertThat(table.lookup("PINGS")).isSameAs(CommandSpec.UNKNOWN);
    assertThat(table.lookup("")).isSameAs(CommandSpec.UNKNOWN);
  }

  @Test
  void arityFollowsRedisConvention() {
    assertThat(table.lookup("ECHO").arityAccepts(2)).isTrue();
    assertThat(table.lookup("ECHO").arityAccepts(3)).isFalse();
    assertThat(table.lookup("PING").arityAccepts(1)).isTrue();
    assertThat(table.lookup("AUTH").arityAccepts(1)).isFalse();
    assertThat(table.lookup("AUTH").arityAccepts(3)).isTrue();
  }

  @Test
  void everyRedis7CommandIsClassified() {
    assertThat(table.size()).isGreaterThan(200);
    assertThat(table.lookup("GET").isRead()).isTrue();
    assertThat(table.lookup("DBSIZE").isRead())
        .as("a replica counts keys whose time ran out until the primary's DEL arrives")
        .isFalse();
    assertThat(table.lookup("RANDOMKEY").isRead()).isTrue();
    assertThat(table.lookup("SET").has(CommandSpec.WRITE)).isTrue();
    assertThat(table.lookup("SET").isRead()).isFalse();
    assertThat(table.lookup("INFO").isRead()).as("INFO goes to the primary").isFalse();
    assertThat(table.lookup("EVAL_RO").isRead()).isTrue();
    assertThat(table.lookup("EVAL").isRead()).isFalse();
    assertThat(table.lookup("XREAD").has(CommandSpec.BLOCKING)).isTrue();
    assertThat(table.lookup("WAIT").has(CommandSpec.BLOCKING)).isTrue();
    assertThat(table.lookup("WATCH").has(CommandSpec.TRANSACTION)).isTrue();
    assertThat(table.lookup("PUBLISH").has(CommandSpec.PUBSUB)).isFalse();
    assertThat(table.lookup("SSUBSCRIBE").has(CommandSpec.PUBSUB)).isTrue();
    assertThat(table.lookup("MONITOR").has(CommandSpec.UNSUPPORTED)).isTrue();
    assertThat(table.lookup("SCAN").has(CommandSpec.CURSOR)).isTrue();
    assertThat(table.lookup("FLUSHALL").has(CommandSpec.WRITE)).isTrue();
    CommandSpec mset = table.lookup("MSET");
    assertThat(List.of(mset.firstKey(), mset.lastKey(), mset.keyStep())).containsExactly(1, -1, 2);
  }

  @Test
  void containerCommandsRouteBySubcommand() {
    CommandSpec script = table.lookup("SCRIPT");
    assertThat(script.subcommands()).isNotNull();
    assertThat(table.lookup("SCRIPT|LOAD").name()).isEqualTo("SCRIPT|LOAD");
    assertThat(table.lookup("SCRIPT|FLUSH").has(CommandSpec.SCRIPT_CACHE)).isTrue();
    assertThat(table.lookup("SCRIPT|EXISTS").has(CommandSpec.SCRIPT_CACHE)).isFalse();
    assertThat(table.lookup("OBJECT|ENCODING").has(CommandSpec.NODE_STATE)).isTrue();
    assertThat(table.lookup("OBJECT|ENCODING").isRead())
        .as("nodes may encode differently")
        .isFalse();
    assertThat(table.lookup("CONFIG|SET").has(CommandSpec.ADMIN)).isTrue();
    assertThat(table.lookup("CONFIG|SET").has(CommandSpec.EVERY_NODE)).isTrue();
    assertThat(table.lookup("CONFIG|GET").has(CommandSpec.EVERY_NODE)).isFalse();
    assertThat(table.lookup("CLIENT|ID").has(CommandSpec.CONNECTION)).isTrue();
    assertThat(table.lookup("CLIENT|PAUSE").has(CommandSpec.CONNECTION))
        .as("the server's, not the connection's")
        .isFalse();
    assertThat(Commands.classify(table, CommandArgs.of("object", "Encoding", "k")).name())
        .isEqualTo("OBJECT|ENCODING");
    assertThat(Commands.classify(table, CommandArgs.of("OBJECT", "NOSUCH")).name())
        .as("an unknown subcommand leaves the container, for Redis's own error")
        .isEqualTo("OBJECT");
  }

  @Test
  void theDenyListRefusesNamedCommandsAndRejectsTypos() {
    CommandTable denied = table.deny(Set.of("keys", "config|set"), "denied here");
    assertThat(denied.lookup("KEYS").denied()).isEqualTo("denied here");
    assertThat(denied.lookup("CONFIG|SET").denied()).isEqualTo("denied here");
    assertThat(denied.lookup("CONFIG|GET").denied()).isNull();
    assertThat(denied.lookup("GET").denied()).isNull();
    assertThat(table.lookup("KEYS").denied()).as("the original is untouched").isNull();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> table.deny(Set.of("KEYZ"), "x"))
        .hasMessageContaining("KEYZ");
  }

  @Test
  void aServersCommandReplyBuildsTheSameKindOfTable() {
    List<Object> reply =
        List.of(
            List.of("get", 2L, List.of("readonly", "fast"), 1L, 1L, 1L, List.of("@read")),
            List.of("mymod.put", -3L, List.of("write"), 1L, 1L, 1L, List.of()),
            List.of(
                "object",
                -2L,
                List.of(),
                0L,
                0L,
                0L,
                List.of("@slow"),
                List.of(),
                List.of(),
                List.of(
                    List.of(
                        "object|freq",
                        3L,
                        List.of("readonly"),
                        2L,
                        2L,
                        1L,
                        List.of("@read"),
                        List.of(),
                        List.of(),
                        List.of()))));
    CommandTable fromServer = CommandTable.fromCommandReply(reply);
    assertThat(fromServer.lookup("MYMOD.PUT").has(CommandSpec.WRITE)).isTrue();
    assertThat(fromServer.lookup("get").isRead()).isTrue();
    assertThat(fromServer.lookup("OBJECT|FREQ").has(CommandSpec.NODE_STATE)).isTrue();
  }
}
