package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeySlotTest {

  @Test
  void slotsAreRedisClustersCrc16() {
    // Values from redis-cli CLUSTER KEYSLOT, and the CRC16/XMODEM check value of "123456789".
    assertThat(KeySlot.of("123456789")).isEqualTo(0x31C3 & 16383);
    assertThat(KeySlot.of("foo")).isEqualTo(12182);
    assertThat(KeySlot.of("bar")).isEqualTo(5061);
    assertThat(KeySlot.of("")).isZero();
  }

  @Test
  void hashTagsPickTheSlotAndEmptyTagsAreIgnored() {
    assertThat(KeySlot.of("{user1000}.following")).isEqualTo(KeySlot.of("user1000"));
    assertThat(KeySlot.of("foo{bar}{zap}")).isEqualTo(KeySlot.of("bar"));
    assertThat(KeySlot.of("foo{}{bar}"))
        .as("an empty tag: the whole key")
        .isEqualTo(KeySlot.of("foo{}{bar}"));
    assertThat(KeySlot.of("foo{}{bar}")).isNotEqualTo(KeySlot.of("bar"));
    assertThat(KeySlot.of("{bar"))
        .as("no closing brace: the whole key")
        .isNotEqualTo(KeySlot.of("bar"));
  }

  @Test
  void everySlotHasAHashTagThatLandsOnIt() {
    for (int slot : new int[] {0, 1, 5460, 12182, 16383}) {
      assertThat(KeySlot.of("x{" + KeySlot.tagFor(slot) + "}y")).isEqualTo(slot);
    }
  }
}
