package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CommandTableTest {

  private final CommandTable table = CommandTable.builtIn();

  @Test
  void namesMatchWhateverTheCaseWithoutBuildingStrings() {
    ByteBuf buf = Unpooled.copiedBuffer("xxbLpOpyy", StandardCharsets.US_ASCII);
    CommandSpec spec = table.lookup(buf, 2, 5);
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
}
