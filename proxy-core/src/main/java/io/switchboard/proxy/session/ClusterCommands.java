package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.ClusterPolicy;
import io.switchboard.routing.ClusterPolicy.Merge;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeySlots;
import io.switchboard.routing.Shard;
import io.switchboard.routing.SlotOwnership;
import io.switchboard.routing.Topology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cluster mode's part of a session: what one slot cannot serve. Cluster commands a cluster-aware
 * client asks are answered as one node that holds every slot ({@link ClusterReplies}); commands
 * about "the server" run on every primary and their answers merge; multi-key commands across slots
 * are split per slot or refused with CROSSSLOT ({@link ClusterPolicy}); SCAN walks the shards one
 * after the other ({@link ClusterScan}). Everything else routes by its keys' slot as usual.
 *
 * <p>Parts are ordinary commands in the session's reply queue, so they keep its order and its
 * failover handling (held writes, MOVED and ASK followed); the queue hands their replies to the
 * {@link CommandParts} that merges them.
 */
final class ClusterCommands {

  private final ClientSession session;
  private final SessionLoop loop;

  /**
   * Who owned which slots when this session's SCAN began its pass (null: no SCAN yet): a check at
   * the pass's end compares the cluster's answer with it.
   */
  private SlotOwnership scanOwnership;

  /** Reads the request again from its start; the dispatcher's cursor stays where it is. */
  private final ArgCursor keys = new ArgCursor();

  ClusterCommands(ClientSession session, SessionLoop loop) {
    this.session = session;
    this.loop = loop;
  }

  /** The slot {@link #handle} found for the keyed command it let through, else -1. */
  private int keyedSlot = -1;

  /**
   * The slot of the keys of the command {@link #handle} last let through (-1 for a keyless one),
   * once: the command carries it, so its keys are hashed once.
   */
  short takeKeyedSlot() {
    short slot = (short) keyedSlot;
    keyedSlot = -1;
    return slot;
  }

  /** Takes the command when cluster mode handles it differently; false to route it as usual. */
  boolean handle(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    keyedSlot = -1;
    if (spec.firstKey() > 0 || spec.has(CommandSpec.MOVABLE_KEYS)) {
      // What cluster mode answers, fans out or walks is keyless: a keyed command is split,
      // refused or let through by its keys' slot alone.
      return keyed(spec, frame, args);
    }
    String name = spec.name();
    if (ClusterPolicy.answeredLocally(spec) && spec.arityAccepts(keys.reset(frame).count())) {
      ByteBuf reply = ClusterReplies.answer(spec, keys, session, loop);
      frame.release();
      session.replies().enqueue(PendingCommand.answered(session, reply));
      return true;
    }
    if (name.startsWith("CLUSTER|") && spec.arityAccepts(keys.reset(frame).count())) {
      session
          .dispatcher()
          .reject(
              frame,
              "ERR Switchboard answers CLUSTER INFO, SLOTS, SHARDS, NODES, MYID and KEYSLOT"
                  + " itself, as one node holding every slot; '"
                  + name.replace('|', ' ').toLowerCase(java.util.Locale.ROOT)
                  + "' is for the cluster's own nodes");
      return true;
    }
    Merge everyPrimary = ClusterPolicy.everyPrimary(spec);
    if (everyPrimary != null) {
      everyPrimary(spec, frame, everyPrimary);
      return true;
    }
    if (name.equals("SCAN") && keys.reset(frame).count() >= 2) {
      new ClusterScan(session, loop).start(spec, frame);
      return true;
    }
    if (name.equals("RANDOMKEY")) {
      List<Shard> shards = loop.backend().topology().current().shards();
      Shard shard =
          shards.get(java.util.concurrent.ThreadLocalRandom.current().nextInt(shards.size()));
      send(spec, frame, PendingCommand.TO_READ, null, shard.lowestSlot());
      return true;
    }
    return false;
  }

  private boolean keyed(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    // A copy of the dispatcher's cursor (it must stay where it is): the frame is not read again.
    int slot = KeySlots.of(spec, keys.copyOf(args));
    if (slot != KeySlots.CROSS_SLOT) {
      keyedSlot = slot;
      return false;
    }
    Merge split = ClusterPolicy.split(spec);
    if (split == null) {
      session.dispatcher().reject(frame, ClusterPolicy.CROSSSLOT);
    } else {
      split(spec, frame, split);
    }
    return true;
  }

  /** The same request on every shard's primary. */
  private void everyPrimary(CommandSpec spec, ByteBuf frame, Merge merge) {
    if (spec.has(CommandSpec.EVERY_NODE)) {
      // Replicas too, as in Sentinel mode: a configuration meant for "the server" (CONFIG SET).
      loop.broadcastToReplicas(frame.retainedDuplicate());
    } else if (spec.has(CommandSpec.SCRIPT_CACHE)) {
      // Replicas too, and the body remembered for NOSCRIPT, as in Sentinel mode.
      session.scripts().toEveryReplica(spec, frame, keys.reset(frame));
    }
    List<Shard> shards = loop.backend().topology().current().shards();
    MergedReply merged =
        new MergedReply(
            merge, loop.backend().alloc(), session.protocol, shards.size(), null, shards.size());
    for (int i = 0; i < shards.size(); i++) {
      ByteBuf copy = i == shards.size() - 1 ? frame : frame.retainedDuplicate();
      send(spec, copy, PendingCommand.TO_PRIMARY, merged, shards.get(i).lowestSlot());
    }
  }

  /**
   * One request per slot of the keys, in the order of the shards (parts for one shard follow each
   * other, so they share a connection without waiting for the others).
   */
  private void split(CommandSpec spec, ByteBuf frame, Merge merge) {
    Topology topology = loop.backend().topology().current();
    int step = Math.max(1, spec.keyStep());
    Map<Integer, List<Integer>> keysBySlot = new LinkedHashMap<>();
    keys.reset(frame);
    int count = keys.count();
    for (int i = 1; i < count; i += step) {
      int slot = keys.selectedSlot(keys.select(i));
      keysBySlot.computeIfAbsent(slot, s -> new ArrayList<>()).add(i);
    }
    List<Map.Entry<Integer, List<Integer>>> groups = new ArrayList<>(keysBySlot.entrySet());
    groups.sort(Comparator.comparingInt(group -> shardIndex(topology, group.getKey())));
    int[][] positions = new int[groups.size()][];
    for (int g = 0; g < groups.size(); g++) {
      List<Integer> indexes = groups.get(g).getValue();
      positions[g] = new int[indexes.size()];
      for (int k = 0; k < indexes.size(); k++) {
        positions[g][k] = (indexes.get(k) - 1) / step;
      }
    }
    MergedReply merged =
        new MergedReply(
            merge,
            loop.backend().alloc(),
            session.protocol,
            groups.size(),
            merge == Merge.BY_KEY_POSITION ? positions : null,
            topology.shards().size());
    byte route = spec.isRead() ? PendingCommand.TO_READ : PendingCommand.TO_PRIMARY;
    for (Map.Entry<Integer, List<Integer>> group : groups) {
      send(spec, request(frame, group.getValue(), step), route, merged, group.getKey());
    }
    frame.release();
  }

  private static int shardIndex(Topology topology, int slot) {
    Shard shard = topology.shardFor(slot);
    return shard == null ? Integer.MAX_VALUE : topology.shards().indexOf(shard);
  }

  /** The command's name followed by the arguments at {@code indexes} and the step-1 after each. */
  private ByteBuf request(ByteBuf frame, List<Integer> indexes, int step) {
    ByteBuf out = loop.backend().alloc().buffer(64 + 32 * indexes.size() * step);
    Replies.writeHeader(out, '*', 1 + (long) indexes.size() * step);
    keys.reset(frame);
    copyArgument(out);
    for (int index : indexes) {
      for (int i = 0; i < step; i++) {
        keys.seek(index + i);
        copyArgument(out);
      }
    }
    return out;
  }

  private void copyArgument(ByteBuf out) {
    Replies.writeHeader(out, '$', keys.length());
    out.writeBytes(keys.frame(), keys.offset(), keys.length()).writeShort(('\r' << 8) | '\n');
  }

  void scanPassStarted(SlotOwnership ownership) {
    scanOwnership = ownership;
  }

  SlotOwnership scanOwnership() {
    return scanOwnership;
  }

  /** Sends one part (or, without {@code parts}, the whole command) on the session's queue. */
  void send(CommandSpec spec, ByteBuf request, byte route, CommandParts parts, int slot) {
    PendingCommand command = new PendingCommand(session, spec, request, session.readAtNanos);
    command.route = route;
    if (parts != null) {
      command.rare().partOf = parts;
    }
    command.slot = (short) slot;
    session.tracking().mark(command);
    session.replies().forward(command);
  }
}
