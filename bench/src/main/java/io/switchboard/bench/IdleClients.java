package io.switchboard.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens many client connections, has each answer one PING (so the proxy has a session for it),
 * leaves them idle and prints the resident memory of the process under test before and after, in
 * MB: {@code rss_before rss_after clients}. Closes every connection before it exits.
 *
 * <p>{@code IdleClients <port> <pid> [clients=10000] [settle seconds=3]}
 */
public final class IdleClients {

  private IdleClients() {}

  public static void main(String[] argv) throws Exception {
    int port = Integer.parseInt(argv[0]);
    long pid = Long.parseLong(argv[1]);
    int clients = argv.length > 2 ? Integer.parseInt(argv[2]) : 10_000;
    int settleSeconds = argv.length > 3 ? Integer.parseInt(argv[3]) : 3;
    long before = rssKb(pid);
    List<SocketChannel> open = new ArrayList<>(clients);
    ByteBuffer ping = ByteBuffer.wrap("*1\r\n$4\r\nPING\r\n".getBytes(US_ASCII));
    ByteBuffer reply = ByteBuffer.allocate(64);
    try {
      for (int i = 0; i < clients; i++) {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        open.add(channel);
        channel.write(ping.rewind());
        reply.clear();
        while (reply.position() < 7) {
          if (channel.read(reply) < 0) {
            throw new IOException("connection " + i + " closed by the server");
          }
        }
        if (reply.get(0) != '+') {
          throw new IOException("connection " + i + " got an error: " + text(reply));
        }
      }
      Thread.sleep(settleSeconds * 1000L); // let the proxy settle (lazy buffers, GC)
      long after = rssKb(pid);
      System.out.printf("%d %d %d%n", before / 1024, after / 1024, open.size());
    } finally {
      for (SocketChannel channel : open) {
        channel.close();
      }
    }
  }

  private static String text(ByteBuffer buffer) {
    return new String(buffer.array(), 0, buffer.position(), US_ASCII).trim();
  }

  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no VmRSS for process " + pid);
  }
}
