package io.switchboard.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import org.junit.jupiter.api.Test;

class SentinelEventTest {

  private static final HostAndPort FROM = new HostAndPort("127.0.0.1", 26379);

  @Test
  void theMasterNameIsReadFromEachPayloadShape() {
    assertThat(
            SentinelEvent.parse(FROM, "+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379")
                .masterName())
        .isEqualTo("mymaster");
    assertThat(
            SentinelEvent.parse(FROM, "+odown", "master mymaster 10.0.0.1 6379 #quorum 2/2")
                .masterName())
        .isEqualTo("mymaster");
    assertThat(
            SentinelEvent.parse(
                    FROM, "+sdown", "slave 10.0.0.3:6379 10.0.0.3 6379 @ othermaster 10.0.0.1 6379")
                .concerns("mymaster"))
        .isFalse();
    assertThat(
            SentinelEvent.parse(
                    FROM,
                    "+selected-slave",
                    "slave 10.0.0.3:6379 10.0.0.3 6379 @ mymaster 10.0.0.1 6379")
                .concerns("mymaster"))
        .isTrue();
  }
}
