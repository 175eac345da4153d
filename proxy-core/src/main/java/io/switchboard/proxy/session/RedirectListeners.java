package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.SubscriptionSink;
import io.switchboard.proxy.resp.Replies;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One event loop's RESP3 connections, one per node, that take the invalidations of its RESP2
 * tracking connections ({@code CLIENT TRACKING ON REDIRECT <id>}): RESP2 has no push frames, so the
 * server sends a RESP2 connection's invalidations to another connection. They come apart from that
 * connection's replies, so the {@link TrackingTable} keeps such reads until told (see {@code
 * Reader.redirected}). A listener lost breaks every redirect to it: its node's RESP2 tracking pools
 * retire, and their readers hear that every key is invalid. Used on the loop's thread only.
 */
final class RedirectListeners {

  private final SessionLoop loop;
  private final TrackingTable table;
  private final Map<HostAndPort, Listener> listeners = new HashMap<>();

  RedirectListeners(SessionLoop loop, TrackingTable table) {
    this.loop = loop;
    this.table = table;
  }

  /** The listener's server id for {@code node}; -1 until it is ready, then {@code whenReady}. */
  long redirectFor(HostAndPort node, Runnable whenReady) {
    Listener listener = listeners.get(node);
    if (listener == null) {
      listener = new Listener(node);
      listeners.put(node, listener);
      listener.connect();
    }
    if (listener.ready) {
      return listener.connection.serverClientId;
    }
    listener.waiting.add(whenReady);
    return -1;
  }

  /** Whether {@code connection} is the listener that a RESP2 connection's redirect names. */
  static boolean listensFor(BackendConnection listener, BackendConnection redirected) {
    return redirected.trackingRedirect > 0
        && redirected.trackingRedirect == listener.serverClientId
        && redirected.pool().node().equals(listener.pool().node());
  }

  private final class Listener implements SubscriptionSink {
    private final HostAndPort node;
    private final List<Runnable> waiting = new ArrayList<>();
    private BackendConnection connection;
    private boolean ready;

    Listener(HostAndPort node) {
      this.node = node;
    }

    void connect() {
      connection = loop.leases().acquire(node, 0, 3, null);
      if (connection == null) {
        // No exclusive connection left: RESP2 tracking connections wait; asked again later.
        listeners.remove(node);
        loop.backend().schedule(this::retryWaiting, 100);
        return;
      }
      connection.sink = this;
      // Its reply, the first frame once ready, says the connection (and its id) is there.
      connection.sendInternal(Replies.command(loop.backend().alloc(), "PING"), ByteBuf::release);
    }

    private void retryWaiting() {
      List<Runnable> again = List.copyOf(waiting);
      waiting.clear();
      again.forEach(Runnable::run);
    }

    @Override
    public void onFrame(BackendConnection from, ByteBuf frame) {
      if (from != connection) {
        frame.release();
        return;
      }
      if (frame.getByte(frame.readerIndex()) == '>') {
        table.onPush(from, frame);
        return;
      }
      frame.release();
      if (!ready) {
        ready = true;
        retryWaiting();
      }
    }

    @Override
    public void onLost(BackendConnection lost, String reason) {
      if (lost != connection) {
        return;
      }
      listeners.remove(node);
      loop.leases().release(lost);
      // Redirects to it are broken: the server sends those connections' invalidations nowhere.
      table.redirectsLost(lost);
      loop.pools().retireRedirected(node);
      retryWaiting(); // handshakes still waiting ask for the next listener
    }
  }
}
