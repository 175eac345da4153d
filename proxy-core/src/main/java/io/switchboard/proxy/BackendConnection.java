package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.ScheduledFuture;
import io.switchboard.proxy.resp.Replies;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical, multiplexed connection to one Redis node, carried by successive Netty channels: when a
 * channel dies it reconnects with backoff. Requests written to the channel wait in {@code
 * inflight}, whose head the next reply completes; requests that arrive while there is no ready
 * channel wait in {@code unsent} (never sent, so safe to send later or elsewhere), bounded in count
 * and by {@code redis.reconnect-wait}.
 *
 * <p>Created and used only on its {@link LoopBackends}' event loop: no locks, no volatile.
 */
final class BackendConnection {

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

  private final LoopBackends loop;
  private final BackendPool pool;
  private final ArrayDeque<PendingCommand> unsent = new ArrayDeque<>();
  private final ArrayDeque<PendingCommand> inflight = new ArrayDeque<>();
  private Channel channel;
  private State state = State.IDLE;
  private int handshakeLeft;
  private int failures;
  private String lastError = "not connected yet";
  private ScheduledFuture<?> expiry;
  boolean dirty;

  BackendConnection(LoopBackends loop, BackendPool pool) {
    this.loop = loop;
    this.pool = pool;
  }

  /** Whether new commands may be given to this connection (false once retired). */
  boolean usable() {
    return state != State.RETIRED;
  }

  int load() {
    return inflight.size() + unsent.size();
  }

  void send(PendingCommand command) {
    if (state == State.READY) {
      write(command);
    } else if (state == State.RETIRED) {
      command.session.redispatch(command);
    } else {
      hold(command);
    }
  }

  private void write(PendingCommand command) {
    ByteBuf request = command.request;
    command.request = null;
    inflight.add(command);
    channel.write(request, channel.voidPromise());
    loop.markDirty(this);
  }

  private void hold(PendingCommand command) {
    if (unsent.size() >= loop.config().limits().maxHeldPerPool()) {
      command.complete(
          Replies.error(
              loop.alloc(),
              "ERR Switchboard: too many commands waiting for "
                  + pool.describe()
                  + " ("
                  + lastError
                  + ")"));
      return;
    }
    command.heldSinceNanos = System.nanoTime();
    unsent.add(command);
    if (state == State.IDLE) {
      connect();
    }
    scheduleExpiry();
  }

  void flush() {
    if (channel != null) {
      channel.flush();
    }
  }

  private void connect() {
    state = State.CONNECTING;
    ChannelFuture future = loop.connect(pool.node(), this);
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
    List<ByteBuf> handshake =
        Handshake.commands(loop.alloc(), loop.config().redis(), pool.db(), pool.protocol());
    handshakeLeft = handshake.size();
    for (ByteBuf request : handshake) {
      PendingCommand internal = new PendingCommand(null, request);
      write(internal);
    }
  }

  void onReply(ByteBuf reply) {
    if (reply.getByte(reply.readerIndex()) == '>') {
      // A push frame on a shared connection: no session subscribed here, nobody to tell.
      reply.release();
      return;
    }
    PendingCommand command = inflight.poll();
    if (command == null) {
      reply.release();
      lastError = "reply without a request";
      channel.close();
      return;
    }
    if (command.session == null) {
      onHandshakeReply(reply);
      return;
    }
    command.complete(reply);
    if (state == State.RETIRED && inflight.isEmpty() && channel != null) {
      channel.close();
    }
  }

  private void onHandshakeReply(ByteBuf reply) {
    String error;
    try {
      error = Handshake.check(reply, loop.facts());
    } finally {
      reply.release();
    }
    if (error != null) {
      lastError = "handshake failed: " + error;
      log.warn("{}: {}", pool.describe(), lastError);
      channel.close();
    } else if (--handshakeLeft == 0) {
      onReady();
    }
  }

  private void onReady() {
    if (failures > 0) {
      log.info("Reconnected to {}", pool.describe());
    }
    state = State.READY;
    failures = 0;
    cancelExpiry();
    while (!unsent.isEmpty()) {
      write(unsent.poll());
    }
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
    PendingCommand command;
    while ((command = inflight.poll()) != null) {
      if (command.session == null) {
        command.releaseRequest();
      } else {
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
    if (state == State.RETIRED) {
      return;
    }
    if (failures++ == 0) {
      log.warn("Connection to {} failed: {}", pool.describe(), reason);
    }
    state = State.BACKOFF;
    long delay = Math.min(MAX_BACKOFF_MS, 25L << Math.min(failures, 10));
    loop.schedule(
        () -> {
          if (state == State.BACKOFF) {
            connect();
          }
        },
        delay);
    loop.flushAll();
  }

  /** No new commands from now on; unsent ones go elsewhere, in-flight ones finish here. */
  void retire() {
    // While handshaking, only the proxy's own commands are in flight: nothing to wait for.
    boolean nothingToFinish = state != State.READY || inflight.isEmpty();
    state = State.RETIRED;
    cancelExpiry();
    PendingCommand command;
    while ((command = unsent.poll()) != null) {
      command.session.redispatch(command);
    }
    if (channel != null && nothingToFinish) {
      channel.close();
    }
  }

  private void scheduleExpiry() {
    if (expiry != null || unsent.isEmpty()) {
      return;
    }
    long waitNanos = loop.config().redis().reconnectWait().toNanos();
    long delay = unsent.peek().heldSinceNanos + waitNanos - System.nanoTime();
    expiry = loop.schedule(this::expire, TimeUnit.NANOSECONDS.toMillis(Math.max(0, delay)) + 1);
  }

  private void cancelExpiry() {
    if (expiry != null) {
      expiry.cancel(false);
      expiry = null;
    }
  }

  private void expire() {
    expiry = null;
    long waitNanos = loop.config().redis().reconnectWait().toNanos();
    long now = System.nanoTime();
    while (!unsent.isEmpty() && now - unsent.peek().heldSinceNanos >= waitNanos) {
      unsent
          .poll()
          .complete(
              Replies.error(
                  loop.alloc(),
                  "ERR Switchboard cannot reach "
                      + pool.describe()
                      + " ("
                      + lastError
                      + "); gave up after "
                      + loop.config().redis().reconnectWait().toMillis()
                      + " ms"));
    }
    scheduleExpiry();
    loop.flushAll();
  }

  static String describe(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
