package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.InvalidationSink;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.KeyPositions;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * One event loop's table of which session read which key through which tracking connection: what
 * turns the server's invalidations, sent per connection that many sessions share, into
 * invalidations for exactly the sessions that read the key there (Redis's TrackingTable, with a
 * session and a connection where Redis has a client id).
 *
 * <p>Why per connection, and why counted in flight: the server tracks a key per connection and
 * forgets it once it sends the invalidation. Its push frames come in order with the connection's
 * replies, so a read answered before an invalidation ran before the write; one still unanswered ran
 * after it and is tracked again. An invalidation therefore tells every reader of the key on that
 * connection, and forgets those with no read of it in flight. A session that read the key on
 * another connection (a replica, say) hears of it from that one.
 *
 * <p>Bounded like Redis's {@code tracking-table-max-keys}: past {@code limits.tracking-table-max-
 * keys} (split over the event loops) the oldest key is forgotten, and its readers get its
 * invalidation, as Redis does. Used on the loop's thread only.
 */
final class TrackingTable implements InvalidationSink {

  /** A read that is tracked but has nothing in flight (not yet sent, or answered). */
  static final Reader[] WANTED = new Reader[0];

  /** One session's reads of one key on one connection. */
  static final class Reader {
    final ClientSession session;
    final BackendConnection connection;

    /** Reads of the key by this session on this connection sent and not yet answered. */
    int inflight;

    Reader next;

    Reader(ClientSession session, BackendConnection connection) {
      this.session = session;
      this.connection = connection;
    }
  }

  private int maxKeys;
  private final RedirectListeners listeners;

  /** Key to the first of its readers; in insertion order, so the oldest key is evicted first. */
  private final LinkedHashMap<String, Reader> keys = new LinkedHashMap<>();

  private final ArgCursor scratch = new ArgCursor();

  /** Readers of sessions that closed: swept once they are many. */
  private int deadReaders;

  /** A reload's bound: past it, the next key read evicts as usual. */
  void maxKeys(int keys) {
    maxKeys = keys;
  }

  TrackingTable(SessionLoop loop, int maxKeys) {
    this.maxKeys = maxKeys;
    this.listeners = new RedirectListeners(loop, this);
  }

  int size() {
    return keys.size();
  }

  /** A tracked read leaves for {@code target}: each of its keys gets a reader in flight. */
  void sent(ClientSession session, PendingCommand command, BackendConnection target) {
    ByteBuf request = command.frame();
    if (request == null || command.spec.has(CommandSpec.PUBSUB)) {
      return;
    }
    int[] positions = KeyPositions.all(command.spec, scratch.reset(request));
    if (positions.length == 0) {
      return;
    }
    scratch.rewind();
    Reader[] before = (Reader[]) command.tracked();
    Reader[] readers = Arrays.copyOf(before, before.length + positions.length);
    for (int i = 0; i < positions.length; i++) {
      scratch.seek(positions[i]);
      Reader reader = reader(session, target, scratch.latin1());
      reader.inflight++;
      readers[before.length + i] = reader;
    }
    command.rare().tracked = readers;
  }

  /** The command's reads are over (answered, or never sent): nothing of it is in flight. */
  void answered(PendingCommand command) {
    for (Reader reader : (Reader[]) command.tracked()) {
      reader.inflight--;
    }
    command.rare().tracked = WANTED;
  }

  private Reader reader(ClientSession session, BackendConnection connection, String key) {
    Reader first = keys.get(key);
    for (Reader r = first; r != null; r = r.next) {
      if (r.session == session && r.connection == connection) {
        return r;
      }
    }
    if (first == null && keys.size() >= maxKeys) {
      evictOldest();
    }
    Reader reader = new Reader(session, connection);
    reader.next = first;
    keys.put(key, reader);
    session.tracking().readers++;
    return reader;
  }

  private void evictOldest() {
    Iterator<Map.Entry<String, Reader>> oldest = keys.entrySet().iterator();
    Map.Entry<String, Reader> entry = oldest.next();
    oldest.remove();
    for (Reader r = entry.getValue(); r != null; r = r.next) {
      forget(r);
      invalidate(r.session, entry.getKey());
    }
  }

  /**
   * The session wrote these keys itself, on {@code writtenOn}. With NOLOOP Redis drops the keys
   * without telling the writer, so its readers are forgotten silently. Without it Redis tells the
   * writer after the write's reply; the server behind a reader on another connection (a replica)
   * would tell only once it applied the write, so the proxy tells the writer now: its cache never
   * serves a value older than its own acknowledged write. Others hear from their servers.
   */
  void wroteItself(
      ClientSession session,
      CommandSpec spec,
      ByteBuf request,
      BackendConnection writtenOn,
      boolean noLoop) {
    int[] positions = KeyPositions.all(spec, scratch.reset(request));
    scratch.rewind();
    for (int position : positions) {
      scratch.seek(position);
      String key = scratch.latin1();
      Reader first = keys.get(key);
      if (first == null) {
        continue;
      }
      Predicate<Reader> told =
          r -> r.session == session && r.inflight == 0 && (noLoop || r.connection != writtenOn);
      boolean tell = false;
      for (Reader r = first; r != null; r = r.next) {
        tell |= !noLoop && told.test(r);
      }
      replace(key, without(first, told));
      if (tell) {
        invalidate(session, key);
      }
    }
  }

  @Override
  public void onPush(BackendConnection connection, ByteBuf push) {
    try {
      int at = push.readerIndex();
      if (!ReplyRecovery.startsWith(push, InvalidationKeys.INVALIDATE_HEAD)) {
        return; // not an invalidation: nothing else is pushed on a tracking connection
      }
      at += InvalidationKeys.INVALIDATE_HEAD.length;
      if (!InvalidationKeys.forEach(push, at, key -> invalidated(connection, key))) {
        flushedOn(connection); // `_`: FLUSHALL or FLUSHDB on the node
      }
    } finally {
      push.release();
    }
  }

  /**
   * The server invalidated {@code key} on {@code source}: its readers there hear of it, and those
   * with no read of it in flight are forgotten (the server forgot them too). Readers on RESP2
   * connections, whose invalidations come on a listener apart from their replies, are kept: their
   * replies and the listener's pushes are not in one order, so one could not tell whether a read
   * ran after the write. A kept reader costs at most an extra invalidation, never a missed one.
   */
  private void invalidated(BackendConnection source, String key) {
    Reader first = keys.get(key);
    for (Reader r = first; r != null; r = r.next) {
      if (heardOn(r, source)) {
        invalidate(r.session, key);
      }
    }
    if (first != null) {
      replace(key, without(first, r -> r.connection == source && r.inflight == 0));
    }
  }

  /** Whether the server tells {@code source} about what {@code reader} read. */
  private static boolean heardOn(Reader reader, BackendConnection source) {
    return reader.connection == source || RedirectListeners.listensFor(source, reader.connection);
  }

  /**
   * The connection closed, so the server tracks nothing for it any more: its readers' sessions
   * could hold values nobody will invalidate, and get the null invalidation that means "all keys",
   * as after a FLUSHALL. A failover, a reconnect and a retired replica all end here.
   */
  @Override
  public void onLost(BackendConnection connection) {
    // Its reads in flight have failed already: every reader on it goes.
    flush(r -> r.connection == connection, r -> r.connection == connection);
  }

  /** FLUSHALL or FLUSHDB on the node: told on {@code source}, every key read there is invalid. */
  private void flushedOn(BackendConnection source) {
    flush(r -> heardOn(r, source), r -> r.connection == source && r.inflight == 0);
  }

  /**
   * A redirect listener is gone: the RESP2 connections redirected to it will hear of nothing more
   * and retire. Their readers' sessions are flushed now; readers stay until their connection
   * closes, so that a read still in flight there is flushed then too.
   */
  void redirectsLost(BackendConnection listener) {
    flush(r -> RedirectListeners.listensFor(listener, r.connection), r -> false);
  }

  /**
   * Sends the null invalidation ("every key") to each session with a reader {@code told} picks, and
   * forgets the readers {@code forgotten} picks.
   */
  private void flush(Predicate<Reader> told, Predicate<Reader> forgotten) {
    Set<ClientSession> flushed = Collections.newSetFromMap(new IdentityHashMap<>());
    forEachChain(
        first -> {
          for (Reader r = first; r != null; r = r.next) {
            if (told.test(r)) {
              flushed.add(r.session);
            }
          }
          return without(first, forgotten);
        });
    for (ClientSession session : flushed) {
      if (deliversTo(session)) {
        session.tracking().delivery().all();
      }
    }
  }

  @Override
  public long redirectFor(HostAndPort node, Runnable whenReady) {
    return listeners.redirectFor(node, whenReady);
  }

  /** Replaces each key's readers with what {@code change} makes of them (none: the key goes). */
  private void forEachChain(UnaryOperator<Reader> change) {
    for (Iterator<Map.Entry<String, Reader>> it = keys.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Reader> entry = it.next();
      Reader kept = change.apply(entry.getValue());
      if (kept == null) {
        it.remove();
      } else {
        entry.setValue(kept);
      }
    }
  }

  /**
   * The chain without the readers {@code drop} picks, which are forgotten; null if none is left.
   */
  private Reader without(Reader first, Predicate<Reader> drop) {
    Reader head = null;
    Reader last = null;
    for (Reader r = first; r != null; r = r.next) {
      if (drop.test(r)) {
        forget(r);
      } else if (last == null) {
        head = r;
        last = r;
      } else {
        last.next = r;
        last = r;
      }
    }
    if (last != null) {
      last.next = null;
    }
    return head;
  }

  private void replace(String key, Reader kept) {
    if (kept == null) {
      keys.remove(key);
    } else {
      keys.replace(key, kept);
    }
  }

  private void forget(Reader reader) {
    reader.session.tracking().readers--;
    if (reader.session.isClosed()) {
      deadReaders--;
    }
  }

  /** A closed session left {@code readers} behind: swept once the dead are many. */
  void sessionClosed(int readers) {
    deadReaders += readers;
    if (deadReaders > Math.max(1024, keys.size() / 2)) {
      forEachChain(first -> without(first, r -> r.session.isClosed()));
    }
  }

  private static boolean deliversTo(ClientSession session) {
    return !session.isClosed() && session.tracking().delivers();
  }

  private void invalidate(ClientSession session, String key) {
    if (deliversTo(session)) {
      session.tracking().delivery().key(key);
    }
  }
}
