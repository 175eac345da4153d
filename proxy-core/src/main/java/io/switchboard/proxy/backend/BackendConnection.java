package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.switchboard.config.FailoverConfig;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.Replies;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical, multiplexed connection to one Redis node, carried by successive Netty channels: when a
 * channel dies it reconnects with backoff. Requests written to the channel wait in {@code
 * inflight}, whose head the next reply completes; requests that arrive while there is no ready
 * channel, or while the write gate is closed, wait in {@link HeldCommands}.
 *
 * <p>Created and used only on its {@link BackendLoop}'s event loop: no locks, no volatile.
 */
public final class BackendConnection extends Flushable {

  private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);
  private static final long MAX_BACKOFF_MS = 1000;

  private enum State {
    IDLE,
    CONNECTING,
    HANDSHAKING,
    READY,
    BACKOFF,
    RETIRED
  }

  private final BackendLoop loop;
  private final BackendPool pool;

  /**
   * Held by one session at a time (transaction, blocking command, subscription). Server-side state
   * such a session builds (MULTI, WATCH, a blocked pop) dies with the channel, so after having been
   * ready an exclusive connection never reconnects: its commands fail instead of running elsewhere.
   */
  public final boolean exclusive;

  /** The id the server gave this connection (HELLO's reply), or -1: for CLIENT UNBLOCK. */
  public long serverClientId = -1;

  /**
   * A RESP2 tracking connection: the server id of the connection its invalidations are redirected
   * to (RESP2 has no push frames); 0 otherwise.
   */
  public long trackingRedirect;

  private final HeldCommands unsent;
  private final ArrayDeque<PendingCommand> inflight = new ArrayDeque<>();
  private Channel channel;
  private final JoinedWrites out = new JoinedWrites();
  private State state = State.IDLE;
  private int handshakeLeft;
  private int failures;
  private String lastError = "not connected yet";
  private boolean everReady;

  /** A session changed this exclusive connection's state (SELECT): close it instead of reusing. */
  public boolean tainted;

  /**
   * What the connection is for, shown after the configured client name in the servers' CLIENT LIST
   * ("switchboard:exclusive"); null for shared connections, which carry the name alone.
   */
  public String purpose;

  /** Receives every frame of a subscription connection once it is ready, instead of the FIFO. */
  public SubscriptionSink sink;

  /** With failover.write-ack = replicated, on shared primary connections; else null. */
  private final ReplicatedAcks replicatedAcks;

  public BackendConnection(BackendLoop loop, BackendPool pool, boolean exclusive) {
    this.loop = loop;
    this.pool = pool;
    this.exclusive = exclusive;
    this.unsent = new HeldCommands(loop, this);
    FailoverConfig failover = loop.config().failover();
    this.replicatedAcks =
        failover.writeAck() == FailoverConfig.WriteAck.REPLICATED && pool.primary() && !exclusive
            ? new ReplicatedAcks(this, loop, failover)
            : null;
  }

  /** Whether new commands may be given to this connection (false once retired). */
  public boolean usable() {
    return state != State.RETIRED;
  }

  /** Connected, handshake done, nothing waiting to be sent. */
  boolean idleAndReady() {
    return state == State.READY && inflight.isEmpty() && unsent.isEmpty();
  }

  private String clientName() {
    String base = loop.config().redis().clientName();
    String role = purpose != null ? purpose : exclusive ? "exclusive" : null;
    return role == null ? base : base + ":" + role;
  }

  public BackendPool pool() {
    return pool;
  }

  /** Why the connection last failed, or what it waits for, in words for errors. */
  String lastError() {
    return lastError;
  }

  /** How long the oldest request here has waited (to be sent or answered), in ns; 0 if none. */
  long oldestWaitNanos(long now) {
    long oldest = 0;
    if (!inflight.isEmpty()) {
      oldest = now - inflight.peek().heldSinceNanos;
    }
    return Math.max(oldest, unsent.oldestWaitNanos(now));
  }

  /**
   * Moves requests that have waited longer than {@code limitNanos} off this connection: those
   * written go to {@code retrySent} (they may still be answered here), those never sent (a
   * handshake that does not finish) are given back to their session to route again.
   */
  void rerouteStuck(
      long now, long limitNanos, java.util.function.Consumer<PendingCommand> retrySent) {
    for (PendingCommand command : inflight) {
      if (now - command.heldSinceNanos <= limitNanos) {
        break; // FIFO: the rest waited less
      }
      if (command.awaitsReply()) {
        retrySent.accept(command);
      }
    }
    unsent.rerouteOlderThan(now, limitNanos);
  }

  int load() {
    return inflight.size() + unsent.size();
  }

  public void send(PendingCommand command) {
    if (state == State.READY && (command.session == null || pool.writable())) {
      write(command);
    } else if (state == State.RETIRED) {
      if (exclusive || command.session == null) {
        command.lost = PendingCommand.LOST_UNSENT;
        command.complete(Replies.error(loop.alloc(), lostError()));
      } else {
        command.session.redispatch(command);
      }
    } else {
      hold(command);
    }
  }

  private String lostError() {
    return "ERR Switchboard: " + lostState();
  }

  private String lostState() {
    return "the connection to "
        + pool.describe()
        + " that held this client's state is gone ("
        + lastError
        + ")";
  }

  private void write(PendingCommand command) {
    if (command.request == null) {
      return; // answered elsewhere while it waited here (a read retried on the primary)
    }
    ByteBuf request = command.request;
    command.request = null;
    command.clearRequeued();
    if (sink == null || state != State.READY) {
      // Once ready, a subscription's frames all go to its sink, which answers its commands.
      if (!pool.primary() || loop.config().slowlog().maxLen() > 0) {
        // For outlier detection on replicas, and the slow log's node time.
        command.heldSinceNanos = loop.clock().now();
      }
      inflight.add(command);
      if (replicatedAcks != null && isWrite(command)) {
        replicatedAcks.written(command);
      }
    }
    out.write(channel, request);
    loop.flushes().backendWritten(this);
  }

  private void hold(PendingCommand command) {
    unsent.hold(command);
    if (state == State.IDLE && !command.isDone()) {
      connect();
    }
  }

  /**
   * A write sent here came back READONLY, so it did not run: hold it again for the primary, ahead
   * of the commands that were never sent (it came before them), behind others held again.
   */
  public void holdAgain(PendingCommand command) {
    if (state == State.RETIRED || !pool.primary()) {
      send(command);
      return;
    }
    if (state == State.READY && pool.writable()) {
      write(command);
      return;
    }
    unsent.holdAgain(command);
    if (state == State.IDLE) {
      connect();
    }
  }

  /**
   * Writes what waits unsent: everything, or while the write gate is closed on a primary only the
   * proxy's own commands (a handshake, a probe).
   */
  private void writeUnsent() {
    if (pool.writable()) {
      unsent.drainTo(this::write);
    } else {
      unsent.drainOwnTo(this::write);
    }
  }

  /** The write gate opened: send what it held. */
  public void resume() {
    if (state == State.READY) {
      writeUnsent();
    }
  }

  public void flush() {
    if (channel != null) {
      if (replicatedAcks != null && state == State.READY) {
        replicatedAcks.beforeFlush();
      }
      out.writeRun(channel);
      channel.flush();
    }
  }

  /** Connects (and logs in) before any command needs it. */
  public void connectNow() {
    if (state == State.IDLE) {
      connect();
    }
  }

  private void connect() {
    state = State.CONNECTING;
    ChannelFuture future = loop.connector().connect(pool.node(), this);
    future.addListener(
        f -> {
          if (!f.isSuccess()) {
            onDisconnected(describe(f.cause()));
          }
        });
  }

  void onActive(Channel active) {
    if (state == State.RETIRED) {
      active.close();
      return;
    }
    channel = active;
    state = State.HANDSHAKING;
    lastError = "connection closed by the server"; // unless an error on this channel says more
    if (pool.tracking() && pool.protocol() == 2) {
      // RESP2 has no push frames: the server sends this connection's invalidations to a RESP3
      // connection of the proxy's, whose id must be known before tracking can be turned on.
      long redirect =
          loop.invalidations()
              .redirectFor(
                  pool.node(),
                  () -> {
                    if (channel == active && state == State.HANDSHAKING && handshakeLeft == 0) {
                      onActive(active);
                    }
                  });
      if (redirect <= 0) {
        return; // the handshake starts once the listener is there
      }
      trackingRedirect = redirect;
    }
    List<ByteBuf> handshake =
        Handshake.commands(
            loop.alloc(),
            loop.config().redis(),
            pool.db(),
            pool.protocol(),
            clientName(),
            pool.login(),
            loop.config().cluster().enabled() && !pool.primary(),
            pool.tracking(),
            trackingRedirect);
    handshakeLeft = handshake.size();
    for (ByteBuf request : handshake) {
      write(PendingCommand.internal(request, this::onHandshakeReply));
    }
  }

  void onReply(ByteBuf reply) {
    if (sink != null && state == State.READY) {
      sink.onFrame(this, reply);
      return;
    }
    if (reply.getByte(reply.readerIndex()) == '>') {
      if (pool.tracking()) {
        // In stream order with the replies: a read answered before it was run before the write.
        loop.invalidations().onPush(this, reply);
      } else {
        reply.release(); // a push frame on another shared connection: nobody to tell
      }
      return;
    }
    PendingCommand command = inflight.poll();
    if (command == null) {
      reply.release();
      lastError = "reply without a request";
      channel.close();
      return;
    }
    if (replicatedAcks == null || !replicatedAcks.hold(command, reply)) {
      deliver(command, reply);
    }
    if (state == State.RETIRED && inflight.isEmpty() && channel != null) {
      channel.close();
    }
  }

  /** Gives a command its reply, unless it is a write answered during a failover (see below). */
  void deliver(PendingCommand command, ByteBuf reply) {
    if (pool.primary()
        && (!pool.writable() || state == State.RETIRED)
        && isWrite(command)
        && !Replies.isError(reply)) {
      // Sent before a failover began, answered after: wait to know whether it survives.
      loop.gate().holdAck(command, reply, pool.node());
    } else {
      command.complete(reply);
    }
  }

  private static boolean isWrite(PendingCommand command) {
    return command.session != null && command.spec != null && !command.spec.isRead();
  }

  private void onHandshakeReply(ByteBuf reply) {
    if (state != State.HANDSHAKING || channel == null) {
      reply.release(); // the channel died mid-handshake; onDisconnected handles the rest
      return;
    }
    String error = Handshake.judge(reply, loop.facts(), pool, id -> serverClientId = id);
    if (error != null) {
      lastError = "handshake failed: " + error;
      if (pool.login() == null || !pool.login().authenticates()) {
        log.warn("{}: {}", pool.describe(), lastError); // a client's login: the pool said so
      }
      channel.close();
    } else if (--handshakeLeft == 0) {
      pool.confirmLogin();
      onReady();
    }
  }

  private void onReady() {
    if (failures > 0) {
      log.info("Reconnected to {}", pool.describe());
    }
    state = State.READY;
    everReady = true;
    failures = 0;
    writeUnsent();
  }

  void onError(Throwable cause) {
    lastError = describe(cause);
    if (channel != null) {
      channel.close();
    }
  }

  void onInactive() {
    onDisconnected(lastError);
  }

  private void onDisconnected(String reason) {
    lastError = reason;
    channel = null;
    out.discard();
    // The state changes before anyone hears of the loss: failing the commands in flight lets
    // their sessions send what they parked behind them, which must not find this connection
    // still READY without a channel.
    boolean wasRetired = state == State.RETIRED;
    boolean retiring = !wasRetired && exclusive && everReady;
    if (retiring) {
      state = State.RETIRED;
    } else if (!wasRetired) {
      state = State.BACKOFF;
    }
    failInflight(reason);
    if (sink != null) {
      sink.onLost(this, reason);
    }
    if (pool.tracking()) {
      loop.invalidations().onLost(this); // the server forgot what this connection read
    }
    if (wasRetired) {
      return;
    }
    if (retiring) {
      unsent.failAll(lostError());
      loop.flushes().flushAll();
      return;
    }
    if (failures++ == 0) {
      log.warn("Connection to {} failed: {}", pool.describe(), reason);
      if (pool.primary()) {
        loop.gate()
            .askAgain(); // a dead primary may mean a failover: do not wait for the next reconcile
      }
    }
    long delay = Math.min(MAX_BACKOFF_MS, 25L << Math.min(failures, 10));
    loop.schedule(
        () -> {
          if (state == State.BACKOFF) {
            connect();
          }
        },
        delay);
    loop.flushes().flushAll();
  }

  private void failInflight(String reason) {
    PendingCommand command;
    while ((command = inflight.poll()) != null) {
      if (command.session == null) {
        // The proxy's own command (a handshake step, a monitor poll) learns it failed.
        command.complete(Replies.error(loop.alloc(), "ERR connection lost: " + reason));
      } else {
        command.lost = PendingCommand.LOST_IN_FLIGHT;
        loop.metrics().error(ProxyMetrics.ErrorKind.LOST_IN_FLIGHT);
        command.complete(
            Replies.error(
                loop.alloc(),
                "ERR Switchboard lost the connection to "
                    + pool.describe()
                    + " while the command was in flight ("
                    + reason
                    + "); it may or may not have run"));
      }
    }
  }

  /**
   * No new commands from now on: unsent ones go elsewhere, in-flight ones may finish here for
   * {@code failover.drain-timeout}, then the channel closes.
   */
  void retire() {
    // While handshaking, only the proxy's own commands are in flight: nothing to wait for.
    boolean nothingToFinish = state != State.READY || inflight.isEmpty();
    state = State.RETIRED;
    unsent.cancelExpiry();
    if (exclusive) {
      // Its session's state (a transaction, a blocked pop) cannot move to another connection:
      // the session learns, in request order, what was lost in flight and what was never sent.
      lastError = pool.describe() + " left the topology";
      boolean connected = channel != null;
      failInflight(lastError);
      unsent.failAll(lostError());
      close();
      if (!connected && sink != null) {
        sink.onLost(this, lastError); // no channel will report its closing
      }
      return;
    }
    unsent.redispatchAll();
    if (channel != null && nothingToFinish) {
      channel.close();
    } else if (channel != null) {
      Channel draining = channel;
      loop.schedule(
          () -> {
            if (channel == draining && !inflight.isEmpty()) {
              log.warn(
                  "{} left the topology; closing its connection with {} commands still unanswered"
                      + " after failover.drain-timeout",
                  pool.describe(),
                  inflight.size());
              lastError = pool.describe() + " left the topology and did not answer in time";
              draining.close();
            }
          },
          loop.config().failover().drainTimeout().toMillis());
    }
  }

  /** Drops the connection now: its session is gone, or its state must not be reused. */
  public void close() {
    state = State.RETIRED;
    unsent.failAll(lostError());
    if (channel != null) {
      channel.close();
    }
  }

  /** Sends a command of the proxy's own; {@code onReply} gets (and releases) its reply. */
  public void sendInternal(ByteBuf request, java.util.function.Consumer<ByteBuf> onReply) {
    send(PendingCommand.internal(request, onReply));
  }

  public static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
