package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.LocalTopology;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A primary that goes away under the proxy: in-flight commands get a clear error, new ones wait for
 * it to come back within failover.hold-timeout, then fail with TRYAGAIN; the client stays
 * connected. Uses its own topology (no replicas, so Sentinel cannot fail over) because it kills the
 * primary.
 */
class BackendFailureIT {

  private static LocalTopology topology;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    topology = LocalTopology.start(0, 1);
    proxy =
        TestProxy.start(
            topology,
            """
            switchboard.failover.hold-timeout = 3s
            switchboard.failover.hold-bytes = 4k
            switchboard.listeners = [{ host = 127.0.0.1, port = 0, read-from = replica }]
            """);
    try (RespClient client = connect()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> "OK".equals(client.call("SET", "it:up", "1")));
    }
  }

  @AfterAll
  static void stop() {
    proxy.close();
    topology.close();
  }

  private static RespClient connect() throws IOException {
    return RespClient.connect(proxy.address(), Duration.ofSeconds(20));
  }

  @Test
  void anInFlightCommandGetsAClearErrorAndTheClientStaysConnected() throws Exception {
    try (RespClient client = connect()) {
      client.send(RespClient.encode("DEBUG", "SLEEP", "5"));
      Thread.sleep(300);
      topology.primary().kill();
      Object reply = client.read();
      assertThat(reply).isInstanceOf(RespValue.Error.class);
      assertThat(((RespValue.Error) reply).message())
          .startsWith("ERR Switchboard lost the connection to primary 127.0.0.1:")
          .endsWith("it may or may not have run");
      topology.primary().start();
      assertThat(client.call("SET", "it:after", "back")).isEqualTo("OK");
      assertThat(client.call("GET", "it:after")).isEqualTo("back");
    }
  }

  @Test
  void commandsWaitForThePrimaryToReturnThenFailClearlyPastTheBound() throws Exception {
    try (RespClient client = connect()) {
      assertThat(client.call("PING")).isEqualTo("PONG");
      topology.primary().kill();
      // Let the proxy see the connection close; a SET racing the kill would be in flight, not
      // held, and rightly get the "may or may not have run" error instead.
      Thread.sleep(300);
      client.send(RespClient.encode("SET", "it:held", "1"));
      Thread.sleep(1000);
      topology.primary().start();
      assertThat(client.read()).as("held while the primary was away").isEqualTo("OK");

      topology.primary().kill();
      Thread.sleep(300); // as above: the proxy must have seen the close
      long started = System.nanoTime();
      Object reply = client.call("GET", "it:held");
      long waitedMs = (System.nanoTime() - started) / 1_000_000;
      assertThat(reply).isInstanceOf(RespValue.Error.class);
      assertThat(((RespValue.Error) reply).message())
          .startsWith("TRYAGAIN Switchboard: ")
          .contains("127.0.0.1:")
          .endsWith("the command was not sent (failover.hold-timeout 3000 ms)");
      assertThat(waitedMs).as("waited for the bound, not forever").isBetween(2500L, 10_000L);
      topology.primary().start();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> "PONG".equals(client.call("ECHO", "PONG")));
    }
  }

  @Test
  void readsThatMayOnlyGoToAReplicaFailClearlyWhenThereIsNone() throws Exception {
    HostAndPort replicaOnly = new HostAndPort("127.0.0.1", proxy.ports().get(1));
    try (RespClient client = RespClient.connect(replicaOnly, Duration.ofSeconds(20))) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> "OK".equals(client.call("SET", "it:replica-only", "1")));
    }
    // A session that has not written: read-your-writes would send its own reads to the primary.
    try (RespClient client = RespClient.connect(replicaOnly, Duration.ofSeconds(20))) {
      Object reply = client.call("GET", "it:replica-only");
      assertThat(reply).isInstanceOf(RespValue.Error.class);
      assertThat(((RespValue.Error) reply).message())
          .isEqualTo(
              "ERR Switchboard has no replica fit to serve reads (read-from = replica);"
                  + " replicas must be up, synced and within routing.max-replica-lag");
      assertThat(client.call("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void writesBeyondTheHoldBudgetFailAtOnceWithTryagain() throws Exception {
    try (RespClient client = connect()) {
      assertThat(client.call("PING")).isEqualTo("PONG");
      topology.primary().kill();
      Thread.sleep(300); // the proxy must have seen the close, so the SETs are held, not in flight
      String value = "x".repeat(100);
      for (int i = 0; i < 100; i++) {
        client.send(RespClient.encode("SET", "it:budget:" + i, value));
      }
      Thread.sleep(500);
      topology.primary().start();
      int ok = 0;
      for (int i = 0; i < 100; i++) {
        Object reply = client.read();
        if ("OK".equals(reply)) {
          assertThat(i).as("held writes come first, in order").isEqualTo(ok);
          ok++;
        } else {
          assertThat(((RespValue.Error) reply).message())
              .startsWith(
                  "TRYAGAIN Switchboard holds 4096 bytes of commands for the primary already")
              .contains("failover.hold-bytes");
        }
      }
      // About 130 bytes per SET: some 31 fit in 4 KiB.
      assertThat(ok).isBetween(20, 40);
    }
  }
}
