package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.switchboard.config.LimitsConfig;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.ListenerKey;
import io.switchboard.proxy.auth.ClientAuth;
import io.switchboard.proxy.auth.ClientUser;
import io.switchboard.proxy.backend.BackendLogin;
import io.switchboard.proxy.backend.CommandOwner;
import io.switchboard.proxy.backend.PendingCommand;
import io.switchboard.proxy.metrics.ProxyMetrics;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespProtocolException;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Commands;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: its lifecycle and admission, the connection state the proxy owns for it
 * (database, protocol, name, user), and the parts that handle its commands. A command is classified
 * when it arrives and handed to the {@link CommandDispatcher}; its reply takes its place in the
 * {@link ReplyQueue}. How a command is routed is decided when it arrives ({@link
 * PendingCommand#route}), because later commands change the session's state (a pipelined EXEC ends
 * the transaction its earlier commands belong to); which node serves a read is decided when it is
 * sent ({@link TargetSelector}).
 *
 * <p>Runs on the client channel's event loop, which also owns every backend connection it uses.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements CommandOwner {

  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  final long id = IDS.incrementAndGet();
  final long connectedAtMillis = System.currentTimeMillis();
  private final SessionLoop loop;
  private final ListenerKey listenerKey;
  private ListenerConfig listener;
  private final ClientAuth auth;
  private final ArgCursor args = new ArgCursor();

  // The parts that handle the session's commands.
  private final ReplyQueue replies;
  private final TargetSelector targets;
  private final CommandDispatcher dispatcher;
  private final LocalCommands local;
  private final Transaction transaction;
  private final Subscription subscription;
  private final BlockingCommands blocking;
  private final ScriptCommands scripts;
  private final ReplyRecovery recovery;
  private final ClientTracking tracking;
  private final ClientDirectory directory;
  private final CachedReads cachedReads;

  /** Cluster mode's handling of what one slot cannot serve; null in Sentinel mode. */
  private final ClusterCommands cluster;

  private final ReplyMode replyMode = new ReplyMode();

  /**
   * Commands read while an earlier one waits (for the first primary, or an AUTH check), in order;
   * null when none wait.
   */
  private ArrayDeque<ByteBuf> held;

  /** auth.mode = redis: an AUTH is being checked by the primary; later commands wait for it. */
  boolean authPending;

  private int maxInflight;
  private Channel channel;
  private RespRequestDecoder decoder;

  /** When the proxy last resumed reading this client after holding back (backpressure). */
  private long readingSinceNanos;

  /** When the read that brought the command being routed arrived, for its latency. */
  long readAtNanos;

  private long commands;
  private boolean stopped;

  /** Counted among the connected clients (false: refused at limits.max-clients). */
  private boolean admitted;

  private boolean closing;
  private boolean closed;

  /** When the timeout check last found this client waiting for replies or subscribed. */
  private long busySeenNanos = System.nanoTime();

  // Connection state the proxy owns on the client's behalf.
  /** Who the client is authenticated as; null until it authenticates (auth required). */
  ClientUser user;

  /**
   * The client logged in (AUTH, HELLO AUTH, a certificate), rather than running as the default user
   * because no password was required: a reload that requires one makes only the latter log in.
   */
  boolean authenticated;

  /**
   * auth.mode = redis: the Redis user its commands run as on the servers (BackendLogin); sessions
   * of the same user and password share that user's pools. Null in proxy mode.
   */
  BackendLogin login;

  int db;
  int protocol = 2;
  String name;
  String libName = "";
  String libVersion = "";

  /** CLIENT NO-EVICT and NO-TOUCH: shown in CLIENT LIST's flags; the servers are not told. */
  boolean noEvict;

  boolean noTouch;

  /** The last command the table knew, as CLIENT LIST's {@code cmd=} shows it. */
  private CommandSpec lastCommand;

  /**
   * @param key which port the client connected to, across reloads
   * @param listener that port's settings when it connected
   */
  public ClientSession(
      SessionLoop loop,
      ListenerKey key,
      ListenerConfig listener,
      ClientAuth auth,
      ClientDirectory directory) {
    this.loop = loop;
    this.listenerKey = key;
    this.listener = listener;
    this.auth = auth;
    this.replies = new ReplyQueue(this, loop);
    this.targets = new TargetSelector(this, loop, listener);
    this.dispatcher = new CommandDispatcher(this, loop);
    this.local = new LocalCommands(this, loop, auth, directory);
    this.transaction = new Transaction(this, loop, local);
    this.subscription = new Subscription(this, loop);
    this.blocking = new BlockingCommands(this, loop);
    this.scripts = new ScriptCommands(this, loop);
    this.recovery = new ReplyRecovery(this, loop);
    this.tracking = new ClientTracking(this, loop, directory);
    this.directory = directory;
    this.cachedReads = new CachedReads(this, loop.nearCache(), listener.cache());
    this.cluster = loop.clusterMode() ? new ClusterCommands(this, loop) : null;
    this.maxInflight = loop.backend().config().limits().maxInflightPerClient();
    this.user = auth.initialUser();
    this.login = auth.redisChecks() ? BackendLogin.UNAUTHENTICATED : null;
  }

  ReplyQueue replies() {
    return replies;
  }

  TargetSelector targets() {
    return targets;
  }

  /** Null outside cluster mode. */
  ClusterCommands cluster() {
    return cluster;
  }

  CommandDispatcher dispatcher() {
    return dispatcher;
  }

  LocalCommands local() {
    return local;
  }

  Transaction transaction() {
    return transaction;
  }

  Subscription subscription() {
    return subscription;
  }

  BlockingCommands blocking() {
    return blocking;
  }

  ScriptCommands scripts() {
    return scripts;
  }

  ClientTracking tracking() {
    return tracking;
  }

  CachedReads cachedReads() {
    return cachedReads;
  }

  ReplyMode replyMode() {
    return replyMode;
  }

  ListenerKey listenerKey() {
    return listenerKey;
  }

  ListenerConfig listener() {
    return listener;
  }

  Channel channel() {
    return channel;
  }

  boolean isClosed() {
    return closed;
  }

  /** The session will close: it reads and answers nothing more. */
  void closing() {
    closing = true;
  }

  /** The user this session runs as, as ACL WHOAMI and CLIENT LIST name it. */
  String userName() {
    if (login != null) {
      return login.user();
    }
    return user == null ? "default" : user.name;
  }

  /**
   * Whether the session may run commands: it logged in, or needs not. In redis mode an
   * unauthenticated session runs as Redis's default user, logged in unless that user needs a
   * password (learned from the servers).
   */
  boolean loggedIn() {
    return user != null
        && !(login == BackendLogin.UNAUTHENTICATED
            && loop.backend().facts().defaultUserNeedsPassword());
  }

  // What CLIENT LIST and CLIENT INFO show of this session (ClientInfo); read on its own loop.

  long idleSeconds() {
    return decoder == null ? 0 : (System.nanoTime() - decoder.lastInputNanos()) / 1_000_000_000L;
  }

  String lastCommandName() {
    return lastCommand == null ? "NULL" : lastCommand.name().toLowerCase(Locale.ROOT);
  }

  /** Commands run since the session began. */
  long commands() {
    return commands;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    decoder = ctx.pipeline().get(RespRequestDecoder.class);
    admitted =
        loop.backend().metrics().clientConnected(loop.backend().config().limits().maxClients());
    if (!admitted) {
      closing = true;
      channel
          .writeAndFlush(Replies.error(loop.backend().alloc(), "ERR max number of clients reached"))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    loop.sessions().opened(this);
    directory.opened(this);
    if (listener.tls() && loop.backend().config().tls().userFromCertificate()) {
      // Completes on this loop before the first command is decrypted and read.
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      tls.handshakeFuture()
          .addListener(
              done -> {
                if (done.isSuccess() && user == null) {
                  user = auth.fromCertificate(tls.engine().getSession());
                  authenticated = user != null;
                }
              });
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    handle((ByteBuf) msg);
    updateAutoRead();
  }

  private void handle(ByteBuf frame) {
    if (closing) {
      frame.release();
    } else if (held != null) {
      held.add(frame); // behind commands already waiting: order is kept
    } else if (!runOrWait(frame)) {
      held = new ArrayDeque<>();
      held.add(frame);
    }
  }

  /**
   * Runs the command, unless it must wait: for an AUTH being checked by the server (what follows
   * runs as the user it logs in), or for the first primary ({@link FirstPrimaryWait}). Returns
   * false, with the frame untouched, when it must wait.
   */
  private boolean runOrWait(ByteBuf frame) {
    readAtNanos = decoder.lastInputNanos(); // the read it arrived in: no clock call per command
    CommandSpec spec = Commands.classify(loop.backend().facts().commands(), args.reset(frame));
    if (authPending) {
      return false;
    }
    if (loop.firstPrimary().pending() && needsServer(spec)) {
      loop.firstPrimary().add(this);
      return false;
    }
    commands++;
    loop.backend().flushes().bytesReceived += frame.readableBytes();
    loop.insight().request(spec, frame);
    if (spec != CommandSpec.UNKNOWN) {
      lastCommand = spec;
    }
    dispatcher.dispatch(spec, frame, args);
    if (replyMode.active()) {
      replyMode.commandDone();
    }
    return true;
  }

  /**
   * Whether the command needs a server: all but those the proxy answers, and AUTH in redis mode.
   */
  private boolean needsServer(CommandSpec spec) {
    return !spec.has(CommandSpec.CONNECTION)
        || (auth.redisChecks() && (spec.name().equals("AUTH") || spec.name().equals("HELLO")));
  }

  /** What held commands waited for is over (a primary is known, an AUTH was answered). */
  void resumeHeld() {
    while (held != null && !closing) {
      if (!runOrWait(held.peek())) {
        return; // waits again, still first in line
      }
      held.poll();
      if (held.isEmpty()) {
        held = null;
      }
    }
    if (held != null) {
      held.forEach(ByteBuf::release); // closing: QUIT was among them
      held = null;
    }
    updateAutoRead();
  }

  /**
   * Gives a command the proxy answered after a wait (an AUTH check, CLIENT LIST from every loop)
   * its reply, unless the client left meanwhile.
   */
  void answerLater(PendingCommand later, ByteBuf reply) {
    if (later.discarded) {
      reply.release();
      return;
    }
    later.reply = reply;
    replies.writeCompleted();
    loop.backend().flushes().flushSoon();
  }

  /** Called by a backend connection (same event loop) when a forwarded command is answered. */
  @Override
  public void onReply(PendingCommand command) {
    tracking.answered(command); // first: in the connection's order with its invalidations
    if (command.borrowed() != null) {
      if (!closed && !command.discarded && blocking.borrowAgain(command)) {
        return; // sent again, on a connection to the new primary
      }
      if (command.borrowed() != null) {
        blocking.release(command);
      }
    }
    if (!closed && !command.discarded && transaction.recover(command)) {
      return;
    }
    if (closed || command.discarded) {
      transaction.forget(command);
      cachedReads.abandoned(command);
      command.reply.release();
      command.reply = null;
      command.releaseRetryCopy();
      return;
    }
    if (recovery.retried(command)) {
      return;
    }
    tracking.settled(command);
    cachedReads.settled(command);
    long now = loop.backend().clock().now();
    loop.insight().replied(this, command, now);
    command.releaseRetryCopy();
    replies.answered(command, now);
    updateAutoRead();
  }

  @Override
  public void redispatch(PendingCommand command) {
    replies.redispatch(command);
  }

  @Override
  public void retryStuckRead(PendingCommand command) {
    recovery.retryStuckRead(command);
  }

  /** Session bookkeeping a reply settles: transaction end, database after EXEC, last write. */
  void afterReply(PendingCommand command) {
    transaction.answered(command);
    CommandSpec spec = command.spec;
    if (spec != null && !spec.isRead()) {
      targets.wrote(command.sentTo);
    }
  }

  /** RESET: subscriptions end and cursors start over (a lease was handled by the caller). */
  void resetServerState() {
    targets.forgetCursor();
    subscription.reset();
  }

  /**
   * A reload: the listener's new read policy and consistency, and the limits that apply to open
   * connections, from the next command on. Commands already sent finish as they started.
   */
  void reconfigure(ListenerConfig next, LimitsConfig limits) {
    listener = next;
    targets.follow(next);
    maxInflight = limits.maxInflightPerClient();
    replies.maxOutputBytes(limits.clientOutputBufferBytes());
    if (channel != null) {
      updateAutoRead();
    }
  }

  /**
   * A reload changed the users: the session runs as its user's new definition (deny list,
   * read-only), as Redis's ACL LOAD does. Returns false when its user no longer exists: the caller
   * closes it, as Redis does. A session that never logged in must now if a password is required.
   */
  boolean reauthorize() {
    if (login != null) {
      return true; // the servers check users (auth.mode = redis)
    }
    if (!authenticated) {
      // As requirepass set or cleared by CONFIG SET: needs AUTH now, or needs it no more.
      user = auth.initialUser();
      return true;
    }
    user = auth.user(user.name);
    return user != null;
  }

  /**
   * Closes the connection if it broke a timeout: part of a command sent and then nothing for {@code
   * limits.stalled-request-timeout}, or nothing at all for {@code limits.client-idle-timeout} while
   * no reply is due and no subscription is open (as Redis's {@code timeout}). Zero disables either.
   * Called on the session's event loop.
   */
  void closeIfTimedOut(long now, long idleNanos, long stalledNanos) {
    if (closing || closed || decoder == null) {
      return;
    }
    // While the proxy itself holds back (backpressure), the rest of a command may sit unread in
    // the kernel: the stall clock counts only from when reading resumed.
    long partialSince = decoder.partialSinceNanos();
    long stalledFor =
        partialSince >= 0 && channel.config().isAutoRead()
            ? now - Math.max(partialSince, readingSinceNanos)
            : 0;
    if (stalledNanos > 0 && stalledFor > stalledNanos) {
      log.info(
          "Closing client {} (id {}): part of a command sent, then nothing for {} ms"
              + " (limits.stalled-request-timeout)",
          channel.remoteAddress(),
          id,
          TimeUnit.NANOSECONDS.toMillis(stalledFor));
      closing = true;
      channel.close();
    } else if (!replies.isEmpty() || subscription.active()) {
      // Waiting for a reply (a blocking pop, say) or subscribed: not idle, as in Redis. Idle time
      // then counts from this check, so a reply that just ended a long wait is not taken for it.
      busySeenNanos = now;
    } else if (idleNanos > 0
        && now - Math.max(decoder.lastInputNanos(), busySeenNanos) > idleNanos) {
      log.debug(
          "Closing idle client {} (id {}) (limits.client-idle-timeout)",
          channel.remoteAddress(),
          id);
      closing = true;
      channel.close();
    }
  }

  /** The client does not read its replies: {@code queued} bytes wait, over the limit. */
  void closeSlowReader(long queued) {
    log.warn(
        "Closing client {} (id {}): {} reply bytes queued, over limits.client-output-buffer-bytes",
        channel.remoteAddress(),
        id,
        queued);
    closing = true;
    channel.close();
  }

  /** Shutdown: read no more commands; those already read are still answered. */
  void stopReading() {
    stopped = true;
    updateAutoRead();
  }

  int pendingReplies() {
    return replies.size();
  }

  private void updateAutoRead() {
    if (closed) {
      return;
    }
    int waiting = replies.size() + (held == null ? 0 : held.size());
    boolean want = !closing && !stopped && waiting < maxInflight && channel.isWritable();
    if (channel.config().isAutoRead() != want) {
      channel.config().setAutoRead(want);
      if (want) {
        readingSinceNanos = System.nanoTime();
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    loop.backend().flushes().flushSoon();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateAutoRead();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
    if (!admitted) {
      return;
    }
    loop.backend().metrics().clientDisconnected();
    loop.sessions().closed(this);
    directory.closed(this);
    releaseQueued();
    tracking.closed();
  }

  /** Releases what this session still holds; replies still due from backends are dropped later. */
  void releaseQueued() {
    replies.releaseQueued();
    if (held != null) {
      held.forEach(ByteBuf::release);
      held = null;
    }
    loop.firstPrimary().remove(this);
    transaction.close();
    subscription.close();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable protocolError = cause instanceof DecoderException ? cause : null;
    while (protocolError != null && !(protocolError instanceof RespProtocolException)) {
      protocolError = protocolError.getCause();
    }
    if (protocolError != null && !closed && !closing) {
      loop.backend().metrics().error(ProxyMetrics.ErrorKind.PROTOCOL);
      PendingCommand error =
          PendingCommand.answered(
              this, Replies.error(loop.backend().alloc(), "ERR " + protocolError.getMessage()));
      error.closeAfter = true;
      replies.enqueue(error);
      loop.backend().flushes().flushAll();
    } else {
      if (cause instanceof java.io.IOException) {
        log.debug("Client {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      } else {
        // Not the network: the proxy's own fault, which closes this client; say so loudly.
        log.warn(
            "Client {} closed after an error in the proxy", ctx.channel().remoteAddress(), cause);
      }
      ctx.close();
    }
  }
}
