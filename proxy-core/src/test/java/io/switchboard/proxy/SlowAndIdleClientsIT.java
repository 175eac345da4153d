package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.session.ClientSession;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;

/**
 * The limits on clients that take without giving back: one that never reads its replies is
 * disconnected past limits.client-output-buffer-bytes with a log line naming the limit; idle
 * clients are closed after limits.client-idle-timeout, except those waiting in a blocking command
 * or subscribed (as Redis's timeout). Everyone else is served throughout.
 */
class SlowAndIdleClientsIT {

  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            """
            switchboard.limits.client-output-buffer-bytes = 1m
            switchboard.limits.client-idle-timeout = 1s
            """);
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  @Test
  void aClientThatDoesNotReadItsRepliesIsDisconnectedWithALogLine() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(ClientSession.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try (Socket reader = new Socket("127.0.0.1", proxy.port())) {
      try (Jedis writer = proxy.jedis()) {
        writer.set("it:slow:big", "x".repeat(256 * 1024));
      }
      // (No small receive buffer: after the close, the kernel's zero-window probes would make
      // draining what was already sent take seconds.)
      reader.setSoTimeout(10_000);
      byte[] get = RespClient.encode("GET", "it:slow:big");
      // 200 replies of 256 KB (50 MB), never read: far past what the kernel buffers hold.
      for (int i = 0; i < 200; i++) {
        reader.getOutputStream().write(get);
      }
      reader.getOutputStream().flush();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  logged.list.stream()
                      .anyMatch(
                          e -> e.getFormattedMessage().contains("client-output-buffer-bytes")));
      assertThat(drainsToEnd(reader.getInputStream())).startsWith("closed");
      try (Jedis other = proxy.jedis()) {
        assertThat(other.get("it:slow:big")).hasSize(256 * 1024);
      }
    } finally {
      logger.detachAppender(logged);
    }
  }

  /**
   * Reads until the end of the stream: "closed after N bytes", or "open after N bytes" when the
   * connection is still open after 10 s.
   */
  private static String drainsToEnd(InputStream in) throws IOException {
    byte[] chunk = new byte[1 << 16];
    long start = System.nanoTime();
    long deadline = start + Duration.ofSeconds(10).toNanos();
    long total = 0;
    while (System.nanoTime() < deadline) {
      try {
        int n = in.read(chunk);
        if (n < 0) {
          break;
        }
        total += n;
      } catch (java.net.SocketTimeoutException open) {
        return "open after " + total + " bytes";
      } catch (java.net.SocketException reset) {
        break;
      }
    }
    long ms = (System.nanoTime() - start) / 1_000_000;
    return (System.nanoTime() < deadline ? "closed" : "open")
        + " after "
        + total
        + " bytes, "
        + ms
        + " ms";
  }

  @Test
  void idleClientsAreClosedButBlockedAndSubscribedOnesAreNot() throws Exception {
    try (RespClient idle = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
        RespClient blocked = RespClient.connect(proxy.address(), Duration.ofSeconds(10));
        RespClient subscriber = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(idle.call("PING")).isEqualTo("PONG");
      assertThat(subscriber.call("SUBSCRIBE", "it:idle:channel")).isInstanceOf(List.class);
      long start = System.nanoTime();
      // Waits 3 s for a list nobody pushes to: three times the idle timeout.
      assertThat(blocked.call("BLPOP", "it:idle:nothing", "3")).isNull();
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThan(Duration.ofMillis(2900));
      assertThat(blocked.call("PING")).isEqualTo("PONG");
      try (Jedis publisher = proxy.jedis()) {
        // The count is the primary's own subscribers: this one may listen on a replica.
        publisher.publish("it:idle:channel", "still here");
      }
      assertThat(subscriber.read()).isEqualTo(List.of("message", "it:idle:channel", "still here"));
      assertThatClosed(idle);
    }
  }

  private static void assertThatClosed(RespClient client) {
    boolean closed;
    try {
      client.call("PING");
      closed = false;
    } catch (IOException e) {
      closed = true;
    }
    assertThat(closed).as("the idle client was closed").isTrue();
  }
}
