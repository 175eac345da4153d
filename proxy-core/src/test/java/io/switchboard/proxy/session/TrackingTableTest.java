package io.switchboard.proxy.session;

import static io.switchboard.proxy.session.CoreHarness.PRIMARY;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.routing.CommandSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules that turn a server's per-connection invalidations into invalidations for the sessions
 * that read a key, with the server's push frames placed exactly between its replies.
 */
class TrackingTableTest {

  private static final String PUSH_K = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n";

  private static CoreHarness.Client trackingClient(CoreHarness core) {
    CoreHarness.Client client = core.client();
    client.send("HELLO", "3").send("CLIENT", "TRACKING", "ON");
    client.replies();
    return client;
  }

  @Test
  void aReadAnsweredBeforeTheInvalidationIsToldOnceAndThenForgotten() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.read-from = primary").started()) {
      CoreHarness.Client client = trackingClient(core);
      client.send("GET", "k");
      core.answer(PRIMARY, "$1\r\nv\r\n");
      assertThat(client.replies()).isEqualTo("$1\r\nv\r\n");
      core.nodes.push(PRIMARY, PUSH_K);
      core.pump();
      assertThat(client.replies()).isEqualTo(PUSH_K);
      core.nodes.push(PRIMARY, PUSH_K);
      core.pump();
      assertThat(client.replies()).as("the server forgot the read too").isEmpty();
    }
  }

  @Test
  void anInvalidationThatComesBeforeAReadsReplyKeepsThatReadTracked() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.read-from = primary").started()) {
      CoreHarness.Client client = trackingClient(core);
      client.send("GET", "k");
      // The write ran before the read: the server invalidates the key, then reads it again for
      // this connection and tracks it anew.
      core.nodes.push(PRIMARY, PUSH_K);
      core.answer(PRIMARY, "$2\r\nv2\r\n");
      assertThat(client.replies()).as("in the server's order").isEqualTo(PUSH_K + "$2\r\nv2\r\n");
      core.nodes.push(PRIMARY, PUSH_K);
      core.pump();
      assertThat(client.replies()).as("the read after it is still tracked").isEqualTo(PUSH_K);
    }
  }

  @Test
  void onlyTheSessionsThatReadTheKeyOnThatConnectionAreTold() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.read-from = primary").started()) {
      CoreHarness.Client reader = trackingClient(core);
      CoreHarness.Client other = trackingClient(core);
      reader.send("GET", "k");
      core.answer(PRIMARY, "$1\r\nv\r\n");
      other.send("GET", "j");
      core.answer(PRIMARY, "$1\r\nw\r\n");
      reader.replies();
      other.replies();
      core.nodes.push(PRIMARY, PUSH_K);
      core.pump();
      assertThat(reader.replies()).isEqualTo(PUSH_K);
      assertThat(other.replies()).isEmpty();
    }
  }

  @Test
  void aPushGoesBetweenTheRepliesTheServerSentBeforeAndAfterIt() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.read-from = primary").started()) {
      CoreHarness.Client client = trackingClient(core);
      client.send("GET", "k").send("GET", "j");
      core.answer(PRIMARY, "$1\r\nv\r\n");
      core.nodes.push(PRIMARY, PUSH_K);
      core.pump();
      assertThat(client.replies())
          .as("not held behind the read still running")
          .isEqualTo("$1\r\nv\r\n" + PUSH_K);
      core.answer(PRIMARY, "$1\r\nw\r\n");
      assertThat(client.replies()).isEqualTo("$1\r\nw\r\n");
    }
  }

  @Test
  void aTrackedKeyCostsLessThan200BytesOfHeap() {
    try (CoreHarness core = new CoreHarness("switchboard.routing.read-from = primary").started()) {
      CoreHarness.Client client = trackingClient(core);
      ClientSession session = client.session();
      BackendConnection connection = core.loop.pools().pool(PRIMARY, 0, 3, true).pick();
      CommandSpec get = core.facts.commands().lookup("GET");
      TrackingTable table = new TrackingTable(core.loop, 1_000_000);
      int keys = 200_000;
      List<PendingCommand> reads = new ArrayList<>(keys);
      long before = usedHeap();
      for (int i = 0; i < keys; i++) {
        ByteBuf request =
            Unpooled.wrappedBuffer(
                CoreHarness.encode("GET", String.format("user:%012d", i))
                    .getBytes(StandardCharsets.US_ASCII));
        PendingCommand read = new PendingCommand(session, get, request, 0);
        read.rare().tracked = TrackingTable.WANTED;
        table.sent(session, read, connection);
        table.answered(read);
        request.release();
        read.request = null;
        reads.add(read);
      }
      reads.clear(); // what stays is the table's
      long perKey = (usedHeap() - before) / keys;
      assertThat(table.size()).isEqualTo(keys);
      assertThat(perKey).as("bytes per tracked 17-byte key, one reader").isLessThan(200);
    }
  }

  private static long usedHeap() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
