package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.switchboard.proxy.insight.SlowLog;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import java.util.List;

/**
 * SLOWLOG GET, LEN and RESET, answered from the proxy's own slow log in Redis's format and with
 * Redis's errors (SLOWLOG HELP goes to the primary, whose text is the same).
 */
final class SlowLogCommands {

  private SlowLogCommands() {}

  static ByteBuf answer(String name, ArgCursor args, SlowLog log, ByteBufAllocator alloc) {
    return switch (name) {
      case "SLOWLOG|LEN" -> Replies.integer(alloc, log.length());
      case "SLOWLOG|RESET" -> {
        log.reset();
        yield Replies.ok();
      }
      default -> get(args, log, alloc);
    };
  }

  private static ByteBuf get(ArgCursor args, SlowLog log, ByteBufAllocator alloc) {
    if (args.count() > 3) {
      String sub = args.seek(1).string();
      return Replies.error(
          alloc,
          "ERR unknown subcommand or wrong number of arguments for '"
              + (sub.length() > 128 ? sub.substring(0, 128) : sub)
              + "'. Try SLOWLOG HELP.");
    }
    long count = 10;
    if (args.count() == 3) {
      try {
        count = Long.parseLong(args.seek(2).string());
      } catch (NumberFormatException e) {
        count = -2;
      }
      if (count < -1) {
        return Replies.error(alloc, "ERR count should be greater than or equal to -1");
      }
    }
    List<SlowLog.Entry> entries = log.latest(count);
    ByteBuf out = alloc.buffer(64 + entries.size() * 128);
    Replies.writeHeader(out, '*', entries.size());
    for (SlowLog.Entry entry : entries) {
      Replies.writeHeader(out, '*', 6);
      Replies.writeHeader(out, ':', entry.id());
      Replies.writeHeader(out, ':', entry.unixSeconds());
      Replies.writeHeader(out, ':', entry.micros());
      Replies.writeHeader(out, '*', entry.args().size());
      for (byte[] arg : entry.args()) {
        Replies.writeBulk(out, arg);
      }
      Replies.writeBulk(out, entry.client());
      Replies.writeBulk(out, entry.clientName());
    }
    return out;
  }
}
