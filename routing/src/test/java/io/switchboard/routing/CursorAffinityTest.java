package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.util.List;
import org.junit.jupiter.api.Test;

class CursorAffinityTest {

  private static final HostAndPort PRIMARY = new HostAndPort("p", 1);
  private static final HostAndPort R1 = new HostAndPort("r1", 1);
  private final CommandTable table = CommandTable.builtIn();

  private boolean continues(String... request) {
    CommandArgs args = CommandArgs.of(request);
    return CursorAffinity.continues(Commands.classify(table, args), args);
  }

  @Test
  void cursorZeroStartsAnIterationAnyOtherContinuesIt() {
    assertThat(continues("SCAN", "0")).isFalse();
    assertThat(continues("SCAN", "1792", "COUNT", "10")).isTrue();
    assertThat(continues("HSCAN", "h", "0")).isFalse();
    assertThat(continues("sscan", "s", "17")).isTrue();
    assertThat(continues("ZSCAN", "z", "00")).as("only the literal 0 starts over").isTrue();
  }

  @Test
  void aContinuedIterationStaysOnItsNodeWhileItServesTheShard() {
    CursorAffinity affinity = new CursorAffinity();
    assertThat(affinity.node(Shard.whole("m", PRIMARY, List.of(R1), 1, false))).isNull();
    affinity.served(R1);
    assertThat(affinity.node(Shard.whole("m", PRIMARY, List.of(R1), 1, false))).isEqualTo(R1);
    assertThat(affinity.node(Shard.whole("m", PRIMARY, List.of(), 2, false)))
        .as("the replica left")
        .isNull();
    affinity.served(PRIMARY);
    assertThat(affinity.node(Shard.whole("m", PRIMARY, List.of(), 2, false))).isEqualTo(PRIMARY);
    affinity.forget();
    assertThat(affinity.node(Shard.whole("m", PRIMARY, List.of(R1), 1, false))).isNull();
  }
}
