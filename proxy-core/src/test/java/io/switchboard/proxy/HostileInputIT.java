package io.switchboard.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.Jedis;

/**
 * Malformed requests, sent raw: the proxy answers each as Redis does (the same error text, then it
 * closes the connection), and every other client goes on being served. Where Redis has the same
 * limit, the proxy's answer is compared with the primary's own; for the proxy's own limits the text
 * is fixed. Netty's paranoid leak detection (LeakGate) checks every error path released its
 * buffers.
 */
class HostileInputIT {

  private static TestProxy proxy;
  private static HostAndPort primary;

  @BeforeAll
  static void start() throws Exception {
    proxy =
        TestProxy.start(
            SharedTopology.get(),
            "switchboard.limits.max-multibulk = 1000\n"
                + "switchboard.limits.max-bulk-bytes = 1m\n"
                + "switchboard.limits.max-request-bytes = 2m\n"
                + "switchboard.limits.stalled-request-timeout = 1s\n");
    proxy.awaitPrimary();
    primary = SharedTopology.get().currentPrimary().address();
  }

  @AfterAll
  static void stop() {
    proxy.close();
  }

  static Stream<Arguments> sameAsRedis() {
    return Stream.of(
        Arguments.of("a multibulk length that is not a number", "*abc\r\n"),
        Arguments.of("a negative bulk length", "*1\r\n$-5\r\n"),
        Arguments.of("a bulk length that is not a number", "*1\r\n$x1\r\n"),
        Arguments.of("a bulk length past 64 bits", "*1\r\n$99999999999999999999999\r\n"),
        Arguments.of("a type byte other than '$' in a multibulk", "*1\r\n+PING\r\n"),
        Arguments.of("unbalanced quotes in an inline command", "SET k \"never closed\r\n"),
        Arguments.of("an inline command over 64 KB", "GET " + "k".repeat(70_000)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sameAsRedis")
  void malformedRequestsGetRedissOwnErrorThenTheConnectionCloses(String what, String request)
      throws IOException {
    String fromRedis = errorAndClose(primary, request);
    String fromProxy = errorAndClose(proxy.address(), request);
    assertThat(fromRedis).startsWith("-ERR Protocol error");
    assertThat(fromProxy).isEqualTo(fromRedis);
    stillServesOthers();
  }

  @Test
  void aBulkLongerThanMaxBulkBytesIsRefusedBeforeItsBytesArrive() throws IOException {
    // 1 MB + 1 with limits.max-bulk-bytes = 1m: refused on the length line alone.
    assertThat(errorAndClose(proxy.address(), "*2\r\n$3\r\nGET\r\n$1048577\r\n"))
        .isEqualTo("-ERR Protocol error: invalid bulk length");
    stillServesOthers();
  }

  @Test
  void aBulkStringNotFollowedByCrlfIsAProtocolError() throws IOException {
    // Stricter than Redis, which skips the two bytes unread: a client sending this is out of step.
    assertThat(errorAndClose(proxy.address(), "*1\r\n$4\r\nPINGxx"))
        .isEqualTo("-ERR Protocol error: bulk string not terminated by CRLF");
    stillServesOthers();
  }

  @Test
  void aMultibulkCountOverMaxMultibulkIsRefused() throws IOException {
    assertThat(errorAndClose(proxy.address(), "*1001\r\n"))
        .isEqualTo("-ERR Protocol error: invalid multibulk length");
    stillServesOthers();
  }

  @Test
  void aRequestWhoseArgumentsTogetherPassMaxRequestBytesIsRefused() throws IOException {
    String argument = "$900000\r\n" + "v".repeat(900_000) + "\r\n";
    // Each argument is under max-bulk-bytes (1m); the third header takes the whole past 2m.
    assertThat(errorAndClose(proxy.address(), "*3\r\n" + argument + argument + "$900000\r\n"))
        .isEqualTo("-ERR Protocol error: request larger than the proxy allows");
    stillServesOthers();
  }

  @Test
  void aClientThatSendsHalfACommandAndStallsIsDisconnected() throws IOException {
    try (Socket socket = new Socket(primary.host(), proxy.port())) {
      socket.setSoTimeout(10_000);
      long start = System.nanoTime();
      socket.getOutputStream().write("*2\r\n$3\r\nGET\r\n$5\r\nab".getBytes(ISO_8859_1));
      assertThat(socket.getInputStream().read()).as("closed without a reply").isEqualTo(-1);
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      // limits.stalled-request-timeout = 1s, checked every 250 ms.
      assertThat(waitedMs).isBetween(900L, 5_000L);
    }
    stillServesOthers();
  }

  @Test
  void anIdleClientWithNothingHalfSentStaysConnected() throws Exception {
    try (Socket socket = new Socket(primary.host(), proxy.port())) {
      socket.setSoTimeout(2_500);
      socket.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(ISO_8859_1));
      assertThat(readLine(socket.getInputStream())).isEqualTo("+PONG");
      // client-idle-timeout is 0 (off, as Redis's default): past the stalled timeout, still open.
      try {
        int b = socket.getInputStream().read();
        assertThat(b).as("the proxy closed an idle client").isNotEqualTo(-1);
      } catch (SocketTimeoutException expected) {
        // nothing arrived and the connection is still open
      }
      socket.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(ISO_8859_1));
      assertThat(readLine(socket.getInputStream())).isEqualTo("+PONG");
    }
  }

  /** Sends {@code request}, returns the first reply line, and checks the server then closed. */
  private static String errorAndClose(HostAndPort target, String request) throws IOException {
    try (Socket socket = new Socket(target.host(), target.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      String line = readLine(in);
      assertThat(in.read()).as("connection closed after the error").isEqualTo(-1);
      return line;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("closed before a reply line; got: " + line);
      }
      line.write(b);
    }
    String text = line.toString(ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private static void stillServesOthers() {
    try (Jedis jedis = new Jedis(primary.host(), proxy.port())) {
      assertThat(jedis.set("hostile:other", "fine")).isEqualTo("OK");
      assertThat(jedis.get("hostile:other")).isEqualTo("fine");
    }
  }
}
