package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlot;
import io.switchboard.routing.Shard;
import io.switchboard.routing.Topology;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The proxy's answers to a cluster-aware client (Lettuce's RedisClusterClient, JedisCluster, {@code
 * redis-cli -c}): a cluster of one node, the proxy at the address the client reached, holding all
 * 16,384 slots. The client then sends everything to that one address, and the proxy routes by slot
 * behind it. {@code READONLY}, {@code READWRITE} and {@code ASKING} are accepted: the listener's
 * read policy decides where reads go, and the proxy follows redirects itself.
 */
final class ClusterReplies {

  private ClusterReplies() {}

  static ByteBuf answer(CommandSpec spec, ArgCursor args, ClientSession session, SessionLoop loop) {
    ByteBufAllocator alloc = loop.backend().alloc();
    InetSocketAddress self = (InetSocketAddress) session.channel().localAddress();
    String host = self.getAddress().getHostAddress();
    int port = self.getPort();
    String id = nodeId(host, port);
    Topology topology = loop.backend().topology().current();
    return switch (spec.name()) {
      case "CLUSTER|MYID" -> Replies.bulk(alloc, id);
      case "CLUSTER|KEYSLOT" -> Replies.integer(alloc, KeySlot.of(args, args.select(2)));
      case "CLUSTER|INFO" -> Replies.verbatim(alloc, session.protocol, info(topology));
      case "CLUSTER|NODES" ->
          Replies.verbatim(
              alloc,
              session.protocol,
              id + " " + host + ":" + port + "@0 myself,master - 0 0 1 connected 0-16383\n");
      case "CLUSTER|SLOTS" -> slots(alloc, host, port, id);
      case "CLUSTER|SHARDS" -> shards(alloc, session.protocol, host, port, id, healthy(topology));
      default -> Replies.ok(); // READONLY, READWRITE, ASKING
    };
  }

  /** Whether every slot has a shard with a primary: CLUSTER INFO's cluster_state. */
  private static boolean healthy(Topology topology) {
    int covered = 0;
    for (Shard shard : topology.shards()) {
      if (shard.hasPrimary()) {
        for (var range : shard.slots()) {
          covered += range.last() - range.first() + 1;
        }
      }
    }
    return covered == KeySlot.SLOTS;
  }

  private static String info(Topology topology) {
    boolean ok = healthy(topology);
    return "cluster_state:"
        + (ok ? "ok" : "fail")
        + "\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:"
        + (ok ? 16384 : 0)
        + "\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:"
        + (ok ? 0 : 16384)
        + "\r\ncluster_known_nodes:1\r\ncluster_size:1\r\ncluster_current_epoch:1"
        + "\r\ncluster_my_epoch:1\r\ncluster_stats_messages_sent:0"
        + "\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0"
        + "\r\n";
  }

  /** {@code [[0, 16383, [host, port, id, []]]]}, as Redis 7 answers. */
  private static ByteBuf slots(ByteBufAllocator alloc, String host, int port, String id) {
    ByteBuf out = alloc.buffer(128);
    Replies.writeHeader(out, '*', 1);
    Replies.writeHeader(out, '*', 3);
    Replies.writeHeader(out, ':', 0);
    Replies.writeHeader(out, ':', KeySlot.SLOTS - 1);
    Replies.writeHeader(out, '*', 4);
    Replies.writeBulk(out, host);
    Replies.writeHeader(out, ':', port);
    Replies.writeBulk(out, id);
    Replies.writeHeader(out, '*', 0);
    return out;
  }

  private static ByteBuf shards(
      ByteBufAllocator alloc, int protocol, String host, int port, String id, boolean healthy) {
    ByteBuf out = alloc.buffer(256);
    Replies.writeHeader(out, '*', 1);
    Replies.writeMapHeader(out, protocol, 2);
    Replies.writeBulk(out, "slots");
    Replies.writeHeader(out, '*', 2);
    Replies.writeHeader(out, ':', 0);
    Replies.writeHeader(out, ':', KeySlot.SLOTS - 1);
    Replies.writeBulk(out, "nodes");
    Replies.writeHeader(out, '*', 1);
    Replies.writeMapHeader(out, protocol, 7);
    Replies.writeBulk(out, "id");
    Replies.writeBulk(out, id);
    Replies.writeBulk(out, "port");
    Replies.writeHeader(out, ':', port);
    Replies.writeBulk(out, "ip");
    Replies.writeBulk(out, host);
    Replies.writeBulk(out, "endpoint");
    Replies.writeBulk(out, host);
    Replies.writeBulk(out, "role");
    Replies.writeBulk(out, "master");
    Replies.writeBulk(out, "replication-offset");
    Replies.writeHeader(out, ':', 0);
    Replies.writeBulk(out, "health");
    Replies.writeBulk(out, healthy ? "online" : "failed");
    return out;
  }

  /** A stable 40-hex node id for the address: the same proxy answers the same id. */
  private static String nodeId(String host, int port) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1")
              .digest(("switchboard " + host + ":" + port).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has SHA-1
    }
  }
}
