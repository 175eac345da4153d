package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespValue;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotOwnership;
import io.switchboard.routing.Topology;
import java.util.List;

/**
 * The end of one pass of a cluster SCAN ({@link ClusterScan}): {@code CLUSTER NODES} on every
 * primary, then a page with no keys whose cursor ends the scan, or starts another pass when keys
 * may have moved behind this one: a slot changed hands since the pass began (by any node's view),
 * or a node is migrating or importing one now. Asked at the end rather than learnt from the slot
 * map, because a migration under way changes no owner until its last key has moved.
 */
final class ScanPassCheck implements CommandParts {

  private final ClientSession session;
  private final SessionLoop loop;
  private final int pass;
  private int parts;
  private int taken;
  private int answered;
  private boolean moved;
  private SlotOwnership now;

  ScanPassCheck(ClientSession session, SessionLoop loop, int pass) {
    this.session = session;
    this.loop = loop;
    this.pass = pass;
  }

  void start(Topology topology) {
    CommandSpec spec = loop.backend().facts().commands().lookup("CLUSTER|NODES");
    List<Shard> shards = topology.shards();
    parts = shards.size();
    for (Shard shard : shards) {
      ByteBuf request = Replies.command(loop.backend().alloc(), "CLUSTER", "NODES");
      session.cluster().send(spec, request, PendingCommand.TO_PRIMARY, this, shard.lowestSlot());
    }
  }

  @Override
  public ByteBuf take(ByteBuf reply) {
    try {
      String nodes = text(reply);
      if (nodes == null) {
        moved = true; // not known: better another pass than a key missed
      } else {
        SlotOwnership owners = SlotOwnership.ofClusterNodes(nodes);
        moved |=
            SlotOwnership.migrationUnderway(nodes)
                || !owners.equals(session.cluster().scanOwnership());
        if (now == null) {
          now = owners;
        }
      }
    } finally {
      reply.release();
    }
    if (++taken < parts) {
      return null;
    }
    String cursor = "0";
    if (moved && pass + 1 < ClusterScan.MAX_PASSES) {
      Topology topology = loop.backend().topology().current();
      session.cluster().scanPassStarted(now != null ? now : SlotOwnership.of(topology));
      cursor = ClusterScan.passCursor(pass + 1, topology);
    }
    ByteBuf page = loop.backend().alloc().buffer(32);
    Replies.writeHeader(page, '*', 2);
    Replies.writeBulk(page, cursor);
    Replies.writeHeader(page, '*', 0);
    return page;
  }

  /** The text of a bulk (RESP2) or verbatim (RESP3, "txt:" first) reply; null for another. */
  private static String text(ByteBuf reply) {
    return RespValue.parse(reply) instanceof String text
        ? text.startsWith("txt:") ? text.substring(4) : text
        : null;
  }

  @Override
  public boolean lastAnswered() {
    return ++answered == parts;
  }

  @Override
  public void release() {
    // Keeps no reply between parts: each is read as it comes.
  }
}
