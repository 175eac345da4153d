package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.resp.Lines;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.ReplyElements;
import io.switchboard.routing.ClusterPolicy.Merge;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Merges the replies of a command's parts as its {@link Merge} says. An error in any part is the
 * client's reply (the first one): a command that failed anywhere did not fully happen, as the
 * client must learn.
 */
final class MergedReply implements CommandParts {

  private final Merge merge;
  private final ByteBufAllocator alloc;
  private final int protocol;
  private final ByteBuf[] replies;

  /** {@link Merge#BY_KEY_POSITION}: per part, the position of each of its keys in the request. */
  private final int[][] positions;

  private final int shards;
  private int taken;
  private int answered;

  /**
   * @param positions per part, where its keys were in the client's request (MGET); else null
   * @param shards how many shards the cluster has, for INFO's Cluster section
   */
  MergedReply(
      Merge merge, ByteBufAllocator alloc, int protocol, int parts, int[][] positions, int shards) {
    this.merge = merge;
    this.alloc = alloc;
    this.protocol = protocol;
    this.replies = new ByteBuf[parts];
    this.positions = positions;
    this.shards = shards;
  }

  @Override
  public ByteBuf take(ByteBuf partReply) {
    replies[taken++] = partReply;
    if (taken < replies.length) {
      return null;
    }
    try {
      return merged();
    } finally {
      release();
    }
  }

  @Override
  public boolean lastAnswered() {
    return ++answered == replies.length;
  }

  @Override
  public void release() {
    for (int i = 0; i < replies.length; i++) {
      if (replies[i] != null) {
        replies[i].release();
        replies[i] = null;
      }
    }
  }

  private ByteBuf merged() {
    for (ByteBuf reply : replies) {
      byte type = reply.getByte(reply.readerIndex());
      if (type == '-' || type == '!') {
        return reply.retainedDuplicate();
      }
    }
    return switch (merge) {
      case SAME -> replies[0].retainedDuplicate();
      case SUM -> sum();
      case CONCAT -> concat();
      case AND -> and();
      case BY_KEY_POSITION -> byKeyPosition();
      case INFO -> info();
    };
  }

  private ByteBuf sum() {
    long total = 0;
    for (ByteBuf reply : replies) {
      total += Lines.parseLong(reply, reply.readerIndex() + 1, lineEnd(reply));
    }
    return Replies.integer(alloc, total);
  }

  private static int lineEnd(ByteBuf reply) {
    return reply.indexOf(reply.readerIndex(), reply.writerIndex(), (byte) '\r');
  }

  private ByteBuf concat() {
    int count = 0;
    int bytes = 16;
    List<List<ByteBuf>> parts = new java.util.ArrayList<>(replies.length);
    for (ByteBuf reply : replies) {
      List<ByteBuf> elements = ReplyElements.of(reply);
      parts.add(elements);
      count += elements.size();
      bytes += reply.readableBytes();
    }
    ByteBuf out = alloc.buffer(bytes);
    Replies.writeHeader(out, arrayType(), count);
    for (List<ByteBuf> elements : parts) {
      for (ByteBuf element : elements) {
        out.writeBytes(element);
      }
    }
    return out;
  }

  /** The aggregate type the parts answered with ({@code *}, or {@code ~} for a RESP3 set). */
  private char arrayType() {
    return (char) replies[0].getByte(replies[0].readerIndex());
  }

  private ByteBuf and() {
    List<ByteBuf> first = ReplyElements.of(replies[0]);
    ByteBuf out = alloc.buffer(16 + first.size() * 4);
    Replies.writeHeader(out, '*', first.size());
    boolean[] all = new boolean[first.size()];
    java.util.Arrays.fill(all, true);
    for (ByteBuf reply : replies) {
      List<ByteBuf> elements = ReplyElements.of(reply);
      for (int i = 0; i < all.length && i < elements.size(); i++) {
        ByteBuf element = elements.get(i);
        all[i] &= element.getByte(element.readerIndex() + 1) == '1';
      }
    }
    for (boolean exists : all) {
      Replies.writeHeader(out, ':', exists ? 1 : 0);
    }
    return out;
  }

  private ByteBuf byKeyPosition() {
    int keys = 0;
    int bytes = 16;
    for (int p = 0; p < replies.length; p++) {
      keys += positions[p].length;
      bytes += replies[p].readableBytes();
    }
    ByteBuf[] values = new ByteBuf[keys];
    for (int p = 0; p < replies.length; p++) {
      List<ByteBuf> elements = ReplyElements.of(replies[p]);
      for (int k = 0; k < positions[p].length && k < elements.size(); k++) {
        values[positions[p][k]] = elements.get(k);
      }
    }
    ByteBuf out = alloc.buffer(bytes);
    Replies.writeHeader(out, '*', keys);
    for (ByteBuf value : values) {
      if (value == null) {
        out.writeBytes(Replies.nil(protocol));
      } else {
        out.writeBytes(value, value.readerIndex(), value.readableBytes());
      }
    }
    return out;
  }

  /**
   * The first primary's INFO, with the keyspace counts of every primary added up and a Cluster
   * section saying how many shards the proxy fronts. Other figures (memory, clients, stats) are
   * that one node's: summing them would mix meanings (peaks, ratios).
   */
  private ByteBuf info() {
    String first = text(replies[0]);
    long[][] keyspace = new long[16][];
    for (ByteBuf reply : replies) {
      for (String line : text(reply).split("\r\n")) {
        if (line.startsWith("db") && line.contains(":keys=")) {
          addKeyspace(keyspace, line);
        }
      }
    }
    StringBuilder out = new StringBuilder();
    boolean inKeyspace = false;
    boolean wroteKeyspace = false;
    for (String line : first.split("\r\n", -1)) {
      if (line.startsWith("# ")) {
        inKeyspace = line.equals("# Keyspace");
      }
      if (line.startsWith("cluster_enabled:")) {
        out.append(line).append("\r\nswitchboard_shards:").append(shards).append("\r\n");
        continue;
      }
      if (inKeyspace && line.startsWith("db")) {
        if (!wroteKeyspace) {
          appendKeyspace(out, keyspace);
          wroteKeyspace = true;
        }
        continue;
      }
      if (inKeyspace && line.isEmpty() && !wroteKeyspace) {
        appendKeyspace(out, keyspace); // the first primary had no keys, others may
        wroteKeyspace = true;
      }
      out.append(line).append("\r\n");
    }
    String text = out.substring(0, Math.max(0, out.length() - 2)); // the split added one line end
    return Replies.verbatim(alloc, protocol, text);
  }

  /** {@code db0:keys=3,expires=1,avg_ttl=0}: keys and expires add up, avg_ttl is the largest. */
  private static void addKeyspace(long[][] keyspace, String line) {
    int db;
    try {
      db = Integer.parseInt(line.substring(2, line.indexOf(':')));
    } catch (NumberFormatException e) {
      return;
    }
    if (db < 0 || db >= keyspace.length) {
      return;
    }
    long[] sums = keyspace[db] == null ? (keyspace[db] = new long[3]) : keyspace[db];
    String[] fields = line.substring(line.indexOf(':') + 1).split(",");
    for (String field : fields) {
      String[] kv = field.split("=");
      if (kv.length != 2) {
        continue;
      }
      long value;
      try {
        value = Long.parseLong(kv[1]);
      } catch (NumberFormatException e) {
        continue;
      }
      switch (kv[0]) {
        case "keys" -> sums[0] += value;
        case "expires" -> sums[1] += value;
        case "avg_ttl" -> sums[2] = Math.max(sums[2], value);
        default -> {}
      }
    }
  }

  private static void appendKeyspace(StringBuilder out, long[][] keyspace) {
    for (int db = 0; db < keyspace.length; db++) {
      long[] sums = keyspace[db];
      if (sums != null) {
        out.append("db")
            .append(db)
            .append(":keys=")
            .append(sums[0])
            .append(",expires=")
            .append(sums[1])
            .append(",avg_ttl=")
            .append(sums[2])
            .append("\r\n");
      }
    }
  }

  /** The text of a bulk or verbatim reply (without RESP3's {@code txt:} prefix). */
  private static String text(ByteBuf reply) {
    int start = reply.readerIndex();
    int lf = reply.indexOf(start, reply.writerIndex(), (byte) '\n');
    int length = (int) Lines.parseLong(reply, start + 1, lf - 1);
    int from = lf + 1;
    if (reply.getByte(start) == '=') {
      from += 4;
      length -= 4;
    }
    return reply.toString(from, Math.max(0, length), StandardCharsets.UTF_8);
  }
}
