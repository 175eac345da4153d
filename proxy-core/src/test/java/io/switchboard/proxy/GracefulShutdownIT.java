package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the packaged proxy: readiness turns 503 and new clients are refused at once, a command
 * already in flight is answered, then clients are disconnected and the process exits 0 within
 * server.shutdown-timeout. A second SIGTERM exits at once.
 */
class GracefulShutdownIT {

  private static Process startProxy(int port, int adminPort) throws IOException {
    return PackagedProxy.start(
        "graceful-shutdown.log",
        List.of(
            "-Dswitchboard.listen.host=127.0.0.1",
            "-Dswitchboard.listen.port=" + port,
            "-Dswitchboard.admin.host=127.0.0.1",
            "-Dswitchboard.admin.port=" + adminPort,
            "-Dswitchboard.server.shutdown-timeout=3s"));
  }

  @Test
  void sigtermFinishesWhatIsInFlightThenExitsZero() throws Exception {
    int port = PackagedProxy.freePort();
    int adminPort = PackagedProxy.freePort();
    Process proxy = startProxy(port, adminPort);
    try {
      HostAndPort address = PackagedProxy.awaitWritable(port);
      try (RespClient client = RespClient.connect(address, Duration.ofSeconds(10))) {
        client.send(RespClient.encode("DEBUG", "SLEEP", "1"));
        Thread.sleep(200); // in flight on the primary
        long started = System.nanoTime();
        proxy.destroy(); // SIGTERM
        HttpClient http = HttpClient.newHttpClient();
        await()
            .atMost(Duration.ofSeconds(2))
            .ignoreExceptions()
            .until(
                () ->
                    http.send(
                                HttpRequest.newBuilder(
                                        URI.create(
                                            "http://127.0.0.1:" + adminPort + "/health/ready"))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString())
                            .statusCode()
                        == 503);
        assertThat(client.read()).as("the command in flight is answered").isEqualTo("OK");
        assertThat(proxy.waitFor(10, TimeUnit.SECONDS)).as("exits").isTrue();
        assertThat(proxy.exitValue()).isZero();
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(tookMs)
            .as("well before the 3 s bound once nothing is in flight")
            .isLessThan(3000);
        assertThat(client.isClosedByPeer()).isTrue();
      }
    } finally {
      proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aSecondSigtermExitsAtOnce() throws Exception {
    int port = PackagedProxy.freePort();
    Process proxy = startProxy(port, PackagedProxy.freePort());
    try {
      HostAndPort address = PackagedProxy.awaitWritable(port);
      try (RespClient client = RespClient.connect(address, Duration.ofSeconds(10))) {
        client.send(RespClient.encode("BLPOP", "it:graceful:never", "0"));
        assertThat(client.readWithin(Duration.ofMillis(300))).as("blocked, no reply").isNull();
        long started = System.nanoTime();
        proxy.destroy();
        Thread.sleep(300);
        proxy.destroy();
        assertThat(proxy.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(tookMs)
            .as("not the 3 s shutdown-timeout the blocked pop would hold")
            .isLessThan(2500);
        assertThat(proxy.exitValue()).isZero();
      }
    } finally {
      proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
