package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeyPositions;
import java.util.HashMap;
import java.util.Map;

/**
 * One session's side of the near cache: its cacheable reads answered from the cache or, on a miss,
 * read from the primary to fill it; its writes dropping what they change before their reply reaches
 * it, so it never reads a value older than its own write. While a write of its own is outstanding,
 * its reads bypass the cache (the write may change what they read).
 */
final class CachedReads {

  private final ClientSession session;
  private final NearCache cache;

  /** The listener turned the cache on (and the proxy has one). */
  private final boolean enabled;

  private final ArgCursor scratch = new ArgCursor();

  /** The miss {@link #answered} just saw, for the command the dispatcher makes of it. */
  private NearCache.Fill missed;

  /** Keys of this session's writes sent and not yet answered, with how many of each. */
  private final Map<String, Integer> writing = new HashMap<>();

  /** This session's outstanding writes whose keys are not known (EXEC, FLUSHALL, a script). */
  private int writingAnyKey;

  /** Marks an outstanding write whose keys are not known. */
  private static final Object ANY_KEY = new Object();

  CachedReads(ClientSession session, NearCache cache, boolean listenerCaches) {
    this.session = session;
    this.cache = cache;
    this.enabled = cache != null && listenerCaches;
  }

  /**
   * Answers a cacheable read from the cache: true when it did (the frame is released). On a miss
   * the next {@link #attachFill} marks the command that reads it.
   */
  boolean answered(CommandSpec spec, ByteBuf frame, ArgCursor args) {
    missed = null;
    if (!enabled || writingAnyKey > 0 || session.tracking().on()) {
      // A tracking client caches what it reads and counts on the server to invalidate it: its
      // reads must reach a server that tracks them.
      return false;
    }
    if (spec.firstKey() != 1 || spec.lastKey() != 1 || spec.has(CommandSpec.MOVABLE_KEYS)) {
      return false; // cached commands read one key, the first argument
    }
    args.rewind();
    String key = args.seek(1).latin1();
    if (writing.containsKey(key) || !cache.caches(spec.name(), key)) {
      return false; // its own write of the key is outstanding: read after it, from the server
    }
    ByteBuf reply = cache.lookup(key, session.db, session.protocol, frame);
    if (reply == null) {
      missed = cache.startFill(key, session.db, session.protocol, frame);
      return false;
    }
    frame.release();
    session.replies().enqueue(PendingCommand.answered(session, reply));
    return true;
  }

  /** The command for the read that just missed: to the primary, its reply to fill the cache. */
  void attachFill(PendingCommand command) {
    if (missed != null) {
      command.rare().nearCache = missed;
      command.route = PendingCommand.TO_PRIMARY;
      missed = null;
    }
  }

  /** Whether {@code spec} may change data: a write, a script, or EXEC (what it queued). */
  private static boolean changesData(CommandSpec spec) {
    return spec != null
        && !spec.isRead()
        && (spec.has(CommandSpec.WRITE)
            || spec.has(CommandSpec.SCRIPT_SHA)
            || spec.has(CommandSpec.SCRIPT_BODY)
            || spec.name().startsWith("FCALL")
            || spec.name().equals("EXEC"));
  }

  /** A command leaves for a server: a write of this session's is outstanding until answered. */
  void sent(PendingCommand command) {
    if (!enabled || !changesData(command.spec) || command.request == null) {
      return;
    }
    String[] keys = keysOf(command.spec, command.request);
    if (keys.length == 0) {
      writingAnyKey++;
      command.rare().nearCache = ANY_KEY;
      return;
    }
    for (String key : keys) {
      writing.merge(key, 1, Integer::sum);
    }
    command.rare().nearCache = keys;
  }

  /** An outstanding command was answered (its final reply). */
  void answered(PendingCommand command) {
    Object mark = command.nearCache();
    if (mark == ANY_KEY) {
      writingAnyKey--;
    } else if (mark instanceof String[] keys) {
      for (String key : keys) {
        writing.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
      }
    }
  }

  /** The keys a write names: those {@link #sent} found, else read off its kept request. */
  private String[] writtenKeys(PendingCommand command) {
    Object mark = command.nearCache();
    if (mark instanceof String[] keys) {
      return keys;
    }
    ByteBuf request = command.hasRetryCopy() ? command.retryFrame() : command.txCopy();
    return mark == ANY_KEY || request == null ? new String[0] : keysOf(command.spec, request);
  }

  /**
   * The session closed before a fill was answered: its reply will not come to the cache, and its
   * key no longer waits for it.
   */
  void abandoned(PendingCommand command) {
    if (command.nearCache() instanceof NearCache.Fill fill) {
      cache.abandon(fill);
    }
  }

  private String[] keysOf(CommandSpec spec, ByteBuf request) {
    int[] positions = KeyPositions.all(spec, scratch.reset(request));
    scratch.rewind();
    String[] keys = new String[positions.length];
    for (int i = 0; i < positions.length; i++) {
      keys[i] = scratch.seek(positions[i]).latin1();
    }
    return keys;
  }

  /**
   * A command has its final reply: a fill stores it; a write drops the cached replies of its keys
   * now, before the client can read again (any session's write: the cache is the proxy's). One
   * whose keys are not known (EXEC, FLUSHALL, a script without keys) drops everything: the queued
   * commands' keys are not followed yet.
   */
  void settled(PendingCommand command) {
    if (cache == null) {
      return;
    }
    if (command.nearCache() instanceof NearCache.Fill fill && command.reply != null) {
      cache.complete(fill, command.reply);
    }
    if (!changesData(command.spec) || command.reply == null || Replies.isError(command.reply)) {
      return;
    }
    String[] keys = writtenKeys(command);
    if (keys.length == 0) {
      cache.flushed();
    }
    for (String key : keys) {
      cache.invalidate(key);
    }
  }
}
