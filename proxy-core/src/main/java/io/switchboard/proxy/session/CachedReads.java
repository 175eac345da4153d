package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeyPositions;
import java.nio.charset.StandardCharsets;

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
    if (!enabled || session.replies().outstandingWrites() > 0 || session.tracking().on()) {
      // A tracking client caches what it reads and counts on the server to invalidate it: its
      // reads must reach a server that tracks them.
      return false;
    }
    int[] keys = KeyPositions.all(spec, args);
    if (keys.length != 1) {
      return false;
    }
    args.rewind();
    String key = args.seek(keys[0]).latin1();
    if (!cache.caches(spec.name(), key)) {
      return false;
    }
    String request =
        session.db + ":" + session.protocol + ":" + frame.toString(StandardCharsets.ISO_8859_1);
    ByteBuf reply = cache.lookup(key, request);
    if (reply == null) {
      missed = cache.startFill(key, request);
      return false;
    }
    frame.release();
    session.replies().enqueue(PendingCommand.answered(session, reply));
    return true;
  }

  /** The command for the read that just missed: to the primary, its reply to fill the cache. */
  void attachFill(PendingCommand command) {
    if (missed != null) {
      command.rare().nearCacheFill = missed;
      command.route = PendingCommand.TO_PRIMARY;
      missed = null;
    }
  }

  /**
   * A command has its final reply: a fill stores it; a write drops the cached replies of its keys
   * now, before the client can read again (any session's write: the cache is the proxy's).
   */
  void settled(PendingCommand command) {
    if (cache == null) {
      return;
    }
    Object fill = command.nearCacheFill();
    if (fill != null && command.reply != null) {
      cache.complete((NearCache.Fill) fill, command.reply);
    }
    CommandSpec spec = command.spec;
    if (spec != null && !spec.isRead() && command.retryCopy != null) {
      int[] keys = KeyPositions.all(spec, scratch.reset(command.retryCopy));
      scratch.rewind();
      for (int key : keys) {
        cache.invalidate(scratch.seek(key).latin1());
      }
    }
  }
}
