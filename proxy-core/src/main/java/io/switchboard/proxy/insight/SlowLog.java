package io.switchboard.proxy.insight;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.SlowLogConfig;
import io.switchboard.proxy.resp.ArgCursor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The proxy's log of slow commands, for {@code SLOWLOG} through the proxy and {@code /slowlog}:
 * Redis's entries (id, time, microseconds, arguments trimmed as Redis trims them, client address
 * and name) plus the node that served the command and that node's share of the time. Shared by
 * every event loop and written only for a slow command, so its lock is never taken on the hot path:
 * there, {@link #slow} is one comparison.
 */
public final class SlowLog {

  /** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
  static final int MAX_ARGS = 32;

  static final int MAX_STRING = 128;

  /**
   * One slow command.
   *
   * @param micros its time through the proxy
   * @param node the node that answered it
   * @param nodeMicros the part of {@code micros} from its write to that node to the node's reply
   */
  public record Entry(
      long id,
      long unixSeconds,
      long micros,
      List<byte[]> args,
      String client,
      String clientName,
      String node,
      long nodeMicros) {}

  private volatile long thresholdNanos;
  private volatile int maxLen;

  /** Newest first; guarded by this. */
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();

  private long nextId;

  public SlowLog(SlowLogConfig config) {
    configure(config);
  }

  /** At start and at each reload; a shorter log drops its oldest entries, as Redis's does. */
  public synchronized void configure(SlowLogConfig config) {
    thresholdNanos = config.threshold().toNanos();
    maxLen = config.maxLen();
    trim();
  }

  /** Whether a command that took {@code nanos} goes in the log. */
  public boolean slow(long nanos) {
    return maxLen > 0 && nanos >= thresholdNanos;
  }

  /** Whether the log keeps anything: the node's time is then measured. */
  public boolean on() {
    return maxLen > 0;
  }

  /**
   * Logs a slow command; {@code request} is its frame, or null when it was not kept (then the
   * command's name stands for its arguments).
   */
  public void add(
      ByteBuf request,
      String commandName,
      long nanos,
      String client,
      String clientName,
      String node,
      long nodeNanos) {
    List<byte[]> args =
        request == null
            ? List.of(commandName.getBytes(StandardCharsets.UTF_8))
            : arguments(request);
    synchronized (this) {
      entries.addFirst(
          new Entry(
              nextId++,
              System.currentTimeMillis() / 1000,
              nanos / 1000,
              args,
              client,
              clientName,
              node,
              nodeNanos / 1000));
      trim();
    }
  }

  /** Redis's SLOWLOG GET: the newest {@code count} entries; -1 for all. */
  public synchronized List<Entry> latest(long count) {
    List<Entry> out = new ArrayList<>();
    for (Entry entry : entries) {
      if (count >= 0 && out.size() >= count) {
        break;
      }
      out.add(entry);
    }
    return out;
  }

  public synchronized int length() {
    return entries.size();
  }

  public synchronized void reset() {
    entries.clear();
  }

  private void trim() {
    while (entries.size() > maxLen) {
      entries.removeLast();
    }
  }

  /** The command's arguments as Redis keeps them: at most 32, each at most 128 bytes. */
  static List<byte[]> arguments(ByteBuf request) {
    ArgCursor args = new ArgCursor().reset(request);
    int count = args.count();
    int kept = Math.min(count, MAX_ARGS);
    List<byte[]> out = new ArrayList<>(kept);
    for (int i = 0; i < kept; i++) {
      if (kept != count && i == kept - 1) {
        out.add(
            ("... (" + (count - kept + 1) + " more arguments)").getBytes(StandardCharsets.UTF_8));
        break;
      }
      args.seek(i);
      int length = args.length();
      byte[] tail =
          length > MAX_STRING
              ? ("... (" + (length - MAX_STRING) + " more bytes)").getBytes(StandardCharsets.UTF_8)
              : new byte[0];
      byte[] arg = new byte[Math.min(length, MAX_STRING) + tail.length];
      request.getBytes(
          args.offset(), arg, 0, Math.min(length, MAX_STRING)); // never the whole value
      System.arraycopy(tail, 0, arg, arg.length - tail.length, tail.length);
      out.add(arg);
    }
    return out;
  }
}
