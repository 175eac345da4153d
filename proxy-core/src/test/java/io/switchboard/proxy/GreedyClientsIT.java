package io.switchboard.proxy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Clients that take more than their share: one that pipelines a million commands and never reads a
 * reply, and ten thousand connections at once. The proxy's memory stays within a stated bound and
 * every other client goes on being served.
 */
class GreedyClientsIT {

  @Test
  void aMillionPipelinedCommandsNeverReadLeaveTheProxyBounded() throws Exception {
    try (TestProxy proxy = TestProxy.start(SharedTopology.get(), "")) {
      proxy.awaitPrimary();
      try (Jedis setup = proxy.jedis()) {
        setup.set("greedy:value", "v".repeat(1024)); // 1 KB replies: they pile up quickly
      }
      long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
      byte[] get = "*2\r\n$3\r\nGET\r\n$12\r\ngreedy:value\r\n".getBytes(US_ASCII);
      byte[] batch = new byte[get.length * 1000];
      for (int i = 0; i < 1000; i++) {
        System.arraycopy(get, 0, batch, i * get.length, get.length);
      }
      AtomicLong sent = new AtomicLong();
      try (Socket greedy = new Socket("127.0.0.1", proxy.port())) {
        Thread writer =
            new Thread(
                () -> {
                  try {
                    OutputStream out = greedy.getOutputStream();
                    for (int i = 0; i < 1000; i++) { // 1,000,000 commands, 33 MB
                      out.write(batch);
                      sent.addAndGet(1000);
                    }
                  } catch (IOException closed) {
                    // the test closes the socket while this write is blocked
                  }
                },
                "greedy-writer");
        writer.setDaemon(true);
        writer.start();
        // The proxy stops reading from it (limits.max-inflight-per-client, then writability): the
        // writer blocks once the kernel's buffers are full.
        long last = -1;
        while (sent.get() != last && sent.get() < 1_000_000) {
          last = sent.get();
          Thread.sleep(1000);
        }
        assertThat(sent.get()).as("the writer is blocked, not done").isLessThan(1_000_000);

        long directHeld = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directBefore;
        // 4,096 commands in flight with 1 KB replies queued, plus read buffers: a few MB.
        assertThat(directHeld).as("direct memory the greedy client holds").isLessThan(64L << 20);
        try (Jedis other = proxy.jedis()) {
          long start = System.nanoTime();
          assertThat(other.set("greedy:other", "fine")).isEqualTo("OK");
          assertThat(other.get("greedy:other")).isEqualTo("fine");
          assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
      }
      // The greedy client is gone: what it held is released.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()
                      <= directBefore + (8L << 20));
    }
  }

  @Test
  void tenThousandConnectionsFitTheStatedMemory() throws Exception {
    int port = PackagedProxy.freePort();
    Process proxy =
        PackagedProxy.start(
            "greedy-clients.log",
            List.of(
                "-Xmx128m",
                "-Dswitchboard.listen.host=127.0.0.1",
                "-Dswitchboard.listen.port=" + port,
                "-Dswitchboard.admin.port=0",
                "-Dswitchboard.limits.max-clients=10100"));
    List<SocketChannel> clients = new ArrayList<>();
    try {
      PackagedProxy.awaitWritable(port);
      long before = rssMb(proxy);
      ByteBuffer ping = ByteBuffer.wrap("*1\r\n$4\r\nPING\r\n".getBytes(US_ASCII));
      ByteBuffer reply = ByteBuffer.allocate(16);
      for (int i = 0; i < 10_000; i++) {
        SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        clients.add(client);
        client.write(ping.rewind());
        reply.clear();
        while (reply.position() < 7) {
          assertThat(client.read(reply)).as("connection %d answered", i).isPositive();
        }
        assertThat(new String(reply.array(), 0, 7, US_ASCII)).isEqualTo("+PONG\r\n");
      }
      try (Jedis other = new Jedis("127.0.0.1", port)) {
        assertThat(other.set("greedy:ten-thousand", "served")).isEqualTo("OK");
        assertThat(other.get("greedy:ten-thousand")).isEqualTo("served");
      }
      long after = rssMb(proxy);
      // With -Xmx128m (the heap a deployment caps; live heap is about 40 MB here) the whole
      // process stays under 250 MB; bench/run.sh measured about 170 MB.
      assertThat(after).as("RSS with 10,000 clients (%d MB before)", before).isLessThan(250);
    } finally {
      for (SocketChannel client : clients) {
        client.close();
      }
      proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static long rssMb(Process process) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    throw new IOException("no VmRSS");
  }
}
