package io.switchboard.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.switchboard.config.HostAndPort;
import io.switchboard.config.ListenerConfig;
import io.switchboard.config.RoutingConfig.Consistency;
import io.switchboard.config.RoutingConfig.ReadFrom;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespProtocolException;
import io.switchboard.proxy.resp.RespRequestDecoder;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.Commands;
import io.switchboard.routing.ReplicationSnapshot;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Commands are answered here (connection state the proxy owns) or forwarded
 * to a backend connection; either way each gets a place in {@code replies}, and replies are written
 * strictly in request order, the completed prefix at a time.
 *
 * <p>Ordering across backend connections: a command whose connection differs from the previous
 * one's waits in {@code parked} until everything the session sent before has been answered, so
 * Redis executes a session's commands in the order the client sent them.
 *
 * <p>How a command is routed is decided when it arrives ({@link PendingCommand#route}), because
 * later commands change the session's state (a pipelined EXEC ends the transaction its earlier
 * commands belong to); which replica serves a read is decided when it is sent.
 *
 * <p>Runs on the client channel's event loop, which also owns every backend connection it uses.
 */
final class ClientSession extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  final long id = IDS.incrementAndGet();
  final long connectedAtMillis = System.currentTimeMillis();
  private final LoopBackends loop;
  private final ListenerConfig listener;
  private final ArgCursor args = new ArgCursor();

  /** For looking into a command again when it is sent (SCAN cursor, EVALSHA sha); reused. */
  private final ArgCursor scratch = new ArgCursor();

  private final LocalCommands local;
  private final ReplyMode replyMode = new ReplyMode();
  private final Subscription subscription;
  private final ArrayDeque<PendingCommand> replies = new ArrayDeque<>();
  private final ArrayDeque<PendingCommand> parked = new ArrayDeque<>();

  /**
   * Commands read while an earlier one waits (for the first primary, or an AUTH check), in order;
   * null when none wait.
   */
  private ArrayDeque<ByteBuf> held;

  /** auth.mode = redis: an AUTH is being checked by the primary; later commands wait for it. */
  boolean authPending;

  private final int maxInflight;
  private final long maxOutputBytes;
  private Channel channel;
  private RespRequestDecoder decoder;

  /** When the proxy last resumed reading this client after holding back (backpressure). */
  private long readingSinceNanos;

  private BackendConnection lastConnection;
  private BackendConnection cachedPrimary;
  private int cachedGeneration;
  private int cachedDb;
  private int cachedProtocol;
  private int outstanding;

  /** When the read that brought the command being routed arrived, for its latency. */
  long readAtNanos;

  private long commands;
  private boolean stopped;

  /** Counted among the connected clients (false: refused at limits.max-clients). */
  private boolean admitted;

  private boolean closing;
  private boolean closed;
  boolean dirty;

  // Connection state the proxy owns on the client's behalf.
  /** Who the client is authenticated as; null until it authenticates (auth required). */
  ClientUser user;

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

  private final ClientAuth auth;

  /** MULTI/WATCH and the primary connection leased for them. */
  private final Transaction transaction;

  // Read-your-writes: after a write, reads need a node that applied the primary's offset.
  private boolean wrote;
  private long lastWriteNanos;
  private long readFloor = -1;

  // Cursor commands continue on the node that issued the cursor.
  private HostAndPort cursorNode;

  ClientSession(
      LoopBackends loop, ListenerConfig listener, ClientAuth auth, ClientDirectory directory) {
    this.loop = loop;
    this.listener = listener;
    this.local = new LocalCommands(this, loop, auth, directory);
    this.auth = auth;
    this.transaction = new Transaction(this, loop, local);
    this.subscription = new Subscription(this, loop);
    this.maxInflight = loop.config().limits().maxInflightPerClient();
    this.maxOutputBytes = loop.config().limits().clientOutputBufferBytes();
    this.user = auth.initialUser();
    this.login = auth.redisChecks() ? BackendLogin.UNAUTHENTICATED : null;
  }

  /** The user this session runs as, as ACL WHOAMI and CLIENT LIST name it. */
  String userName() {
    if (login != null) {
      return login.user();
    }
    return user == null ? "default" : user.name;
  }

  Channel channel() {
    return channel;
  }

  ReplyMode replyMode() {
    return replyMode;
  }

  // What CLIENT LIST and CLIENT INFO show of this session (ClientInfo); read on its own loop.

  boolean isSubscribed() {
    return subscription.active();
  }

  int subscribedChannels() {
    return subscription.channelCount();
  }

  int subscribedPatterns() {
    return subscription.patternCount();
  }

  int subscribedShardChannels() {
    return subscription.shardChannelCount();
  }

  int queuedInMulti() {
    return transaction.queuedCount();
  }

  long idleSeconds() {
    return decoder == null ? 0 : (System.nanoTime() - decoder.lastInputNanos()) / 1_000_000_000L;
  }

  String lastCommandName() {
    return lastCommand == null ? "NULL" : lastCommand.name().toLowerCase(Locale.ROOT);
  }

  /** Redis's client flags as letters: subscribed, in MULTI, blocked, no-evict, no-touch. */
  String flags() {
    StringBuilder flags = new StringBuilder(4);
    if (subscription.active()) {
      flags.append('P');
    }
    if (transaction.inMulti()) {
      flags.append('x');
    }
    if (blockedOn() != null) {
      flags.append('b');
    }
    if (noEvict) {
      flags.append('e');
    }
    if (noTouch) {
      flags.append('T');
    }
    return flags.isEmpty() ? "N" : flags.toString();
  }

  /** What {@code GET /clients} shows of this session; called on its event loop. */
  java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("id", id);
    out.put("address", String.valueOf(channel.remoteAddress()));
    out.put("name", name);
    out.put(
        "lib", libName.isEmpty() ? null : libName + (libVersion.isEmpty() ? "" : " " + libVersion));
    out.put("db", db);
    out.put("protocol", protocol);
    out.put("authenticated", user != null);
    out.put("user", user == null ? null : user.name);
    out.put("state", state());
    out.put("commands", commands);
    out.put("waitingForReplies", replies.size());
    out.put("ageSeconds", (System.currentTimeMillis() - connectedAtMillis) / 1000);
    return out;
  }

  /** The connection this session's blocking command waits on now, or null. */
  BackendConnection blockedOn() {
    for (PendingCommand command : replies) {
      if (command.borrowed() != null && !command.isDone()) {
        return command.borrowed();
      }
    }
    return null;
  }

  private String state() {
    if (transaction.inMulti()) {
      return "multi";
    }
    if (transaction.watching()) {
      return "watch";
    }
    if (subscription.active()) {
      return "subscribed";
    }
    return blockedOn() != null ? "blocked" : "normal";
  }

  ReadFrom readFrom() {
    return listener.readFrom();
  }

  Consistency consistency() {
    return listener.consistency();
  }

  boolean replicaSubscriptions() {
    return listener.replicaSubscriptions();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    decoder = ctx.pipeline().get(RespRequestDecoder.class);
    admitted = loop.metrics().clientConnected(loop.config().limits().maxClients());
    if (!admitted) {
      closing = true;
      channel
          .writeAndFlush(Replies.error(loop.alloc(), "ERR max number of clients reached"))
          .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    loop.sessionOpened(this);
    if (listener.tls() && loop.config().tls().userFromCertificate()) {
      // Completes on this loop before the first command is decrypted and read.
      SslHandler tls = ctx.pipeline().get(SslHandler.class);
      tls.handshakeFuture()
          .addListener(
              done -> {
                if (done.isSuccess() && user == null) {
                  user = auth.fromCertificate(tls.engine().getSession());
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
    args.reset(frame);
    CommandSpec spec = Commands.classify(loop.facts().commands(), args);
    if (authPending) {
      return false;
    }
    if (loop.firstPrimary().pending() && needsServer(spec)) {
      loop.firstPrimary().add(this);
      return false;
    }
    commands++;
    loop.bytesReceived += frame.readableBytes();
    if (spec != CommandSpec.UNKNOWN) {
      lastCommand = spec;
    }
    route(spec, frame);
    if (replyMode.active()) {
      replyMode.commandDone();
    }
    return true;
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
    writeCompleted();
    loop.flushSoon();
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

  private void route(CommandSpec spec, ByteBuf frame) {
    String refusal = refusal(spec);
    String notPermitted = user != null && user.restricted ? notPermitted(spec) : null;
    if (!loggedIn() && !mayRunUnauthenticated(spec)) {
      loop.metrics().error(ProxyMetrics.ErrorKind.AUTH);
      reject(frame, "NOAUTH Authentication required.");
    } else if (refusal != null) {
      loop.recordCommand(spec, ProxyMetrics.Route.DENIED, 0);
      reject(frame, refusal);
    } else if (notPermitted != null) {
      loop.metrics().error(ProxyMetrics.ErrorKind.NOPERM);
      reject(frame, notPermitted);
    } else if (subscription.active() && protocol == 2 && !spec.has(CommandSpec.PUBSUB)) {
      subscriberModeCommand(spec, frame);
    } else if (transaction.inMulti()) {
      transaction.queue(spec, frame, args);
    } else if (spec.has(CommandSpec.CONNECTION)) {
      connectionCommand(spec, frame);
    } else if (spec.has(CommandSpec.TRANSACTION)) {
      transaction.command(spec, frame, args);
    } else if (spec.has(CommandSpec.PUBSUB)) {
      subscription.command(spec, frame, args);
    } else if (transaction.watching()) {
      transaction.whileWatching(spec, frame, isWait(spec));
    } else if (spec.has(CommandSpec.BLOCKING) && blocks(spec)) {
      borrowFor(spec, frame);
    } else if (spec.has(CommandSpec.SCRIPT_CACHE)) {
      scriptCommand(spec, frame);
    } else if (spec.has(CommandSpec.EVERY_NODE)) {
      // Replicas known now; one that joins later keeps its own configuration (README).
      loop.broadcastToReplicas(frame.retainedDuplicate());
      forwardToPrimary(spec, frame);
    } else {
      if (spec.has(CommandSpec.SCRIPT_BODY) && args.count() > 1) {
        args.seek(1);
        loop.scripts().remember(frame, args.offset(), args.length());
      }
      PendingCommand command = loop.command(this, spec, frame);
      command.route = spec.isRead() ? PendingCommand.TO_READ : PendingCommand.TO_PRIMARY;
      forward(command);
    }
  }

  /**
   * Scripts are per node and not replicated: SCRIPT LOAD and SCRIPT FLUSH go to every node (the
   * client sees the primary's reply), and the proxy remembers or forgets the bodies.
   */
  private void scriptCommand(CommandSpec spec, ByteBuf frame) {
    boolean load = spec.name().equals("SCRIPT|LOAD") && args.count() == 3;
    boolean flush = spec.name().equals("SCRIPT|FLUSH");
    if (load) {
      args.seek(2);
      String sha = loop.scripts().remember(frame, args.offset(), args.length());
      for (HostAndPort replica : loop.topology().replicas()) {
        loop.scriptLoaded(replica, sha, true);
      }
    }
    if (load || flush) {
      loop.broadcastToReplicas(frame.retainedDuplicate());
    }
    if (flush) {
      loop.scripts().flush();
    }
    forwardToPrimary(spec, frame);
  }

  /**
   * The user's refusal of a command Redis would run ({@link ClientUser#refusal}); a wrong argument
   * count goes on to get Redis's own arity error, as Redis checks arity before permissions.
   */
  private String notPermitted(CommandSpec spec) {
    return spec == CommandSpec.UNKNOWN || !spec.arityAccepts(args.count())
        ? null
        : user.refusal(spec);
  }

  private static boolean mayRunUnauthenticated(CommandSpec spec) {
    String name = spec.name();
    return name.equals("AUTH")
        || name.equals("HELLO")
        || name.equals("QUIT")
        || name.equals("RESET");
  }

  /**
   * Whether the session may run commands: it logged in, or needs not. In redis mode an
   * unauthenticated session runs as Redis's default user, logged in unless that user needs a
   * password (learned from the servers).
   */
  boolean loggedIn() {
    return user != null
        && !(login == BackendLogin.UNAUTHENTICATED && loop.facts().defaultUserNeedsPassword());
  }

  /** Why the proxy refuses the command whatever the session's state, or null. */
  private static String refusal(CommandSpec spec) {
    if (spec.denied() != null) {
      return "ERR '" + display(spec) + "' is " + spec.denied();
    }
    if (spec.has(CommandSpec.UNSUPPORTED)) {
      return "ERR '"
          + display(spec)
          + "' is not supported by Switchboard: it needs a server connection of its own"
          + " (replication stream or server tap)";
    }
    return null;
  }

  static String display(CommandSpec spec) {
    return spec.name().replace('|', ' ').toLowerCase(Locale.ROOT);
  }

  /** Answers an error; inside MULTI it also dooms the transaction, as Redis does. */
  void reject(ByteBuf frame, String error) {
    frame.release();
    transaction.refusedInMulti();
    enqueue(PendingCommand.answered(this, Replies.error(loop.alloc(), error)));
  }

  /** RESP2 subscriber mode allows only the subscribe family, PING, QUIT and RESET (as Redis). */
  private void subscriberModeCommand(CommandSpec spec, ByteBuf frame) {
    String name = spec.name();
    if (name.equals("PING")) {
      ByteBuf pong = subscription.pingReply(args);
      frame.release();
      enqueue(PendingCommand.answered(this, pong));
    } else if (name.equals("QUIT") || name.equals("RESET")) {
      connectionCommand(spec, frame);
    } else {
      String shown =
          spec == CommandSpec.UNKNOWN
              ? new ArgCursor().reset(frame).string().toLowerCase(Locale.ROOT)
              : display(spec).replace(' ', '|');
      reject(
          frame,
          "ERR Can't execute '"
              + shown
              + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in"
              + " this context");
    }
  }

  void connectionCommand(CommandSpec spec, ByteBuf frame) {
    if (transaction.hasLease() && spec.name().equals("RESET")) {
      local.answer(spec, args).reply.release();
      transaction.reset(spec, frame);
      return;
    }
    if (transaction.watching() && spec.name().equals("SELECT") && spec.arityAccepts(args.count())) {
      int index = local.databaseIndex(args.seek(1));
      if (index < 0) {
        reject(frame, local.databaseError(args));
      } else {
        transaction.selectWhileWatching(spec, frame, index);
      }
      return;
    }
    if ((transaction.watching() || subscription.active())
        && spec.name().equals("HELLO")
        && args.count() > 1) {
      // The leased or subscription connection speaks the protocol it was opened with.
      reject(
          frame, "ERR Switchboard cannot change protocol while WATCH or a subscription is active");
      return;
    }
    PendingCommand answer;
    try {
      answer = local.answer(spec, args);
    } finally {
      frame.release();
    }
    enqueue(answer);
    loop.recordCommand(spec, ProxyMetrics.Route.LOCAL, System.nanoTime() - readAtNanos);
  }

  void forwardToPrimary(CommandSpec spec, ByteBuf frame) {
    PendingCommand command = loop.command(this, spec, frame);
    command.route = PendingCommand.TO_PRIMARY;
    forward(command);
  }

  private PendingCommand forwardPinned(CommandSpec spec, ByteBuf frame, BackendConnection to) {
    PendingCommand command = pinned(spec, frame, to);
    forward(command);
    return command;
  }

  PendingCommand pinned(CommandSpec spec, ByteBuf frame, BackendConnection to) {
    PendingCommand command = new PendingCommand(this, spec, frame);
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = to;
    return command;
  }

  /** Sends an outstanding command (its request set) again, on {@code to}. */
  void sendAgain(PendingCommand command, BackendConnection to) {
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = to;
    command.sentTo = to;
    lastConnection = to;
    to.send(command);
  }

  /** Commands waiting for the ordering barrier, oldest first. */
  void forEachParked(java.util.function.Consumer<PendingCommand> action) {
    parked.forEach(action);
  }

  /** A blocking command borrows a primary connection of its own until its reply. */
  private void borrowFor(CommandSpec spec, ByteBuf frame) {
    if (!loop.topology().hasPrimary()) {
      reject(frame, noPrimaryText());
      return;
    }
    BackendConnection borrowed =
        loop.acquireExclusive(loop.topology().primary(), db, protocol, login);
    if (borrowed == null) {
      reject(frame, exclusiveLimitText());
      return;
    }
    PendingCommand command = new PendingCommand(this, spec, frame);
    command.route = PendingCommand.TO_PINNED;
    command.rare().pinned = borrowed;
    command.rare().borrowed = borrowed;
    command.rare().markOffsetFirst = isWait(spec);
    // Kept until the reply: if a failover retires the connection before the command left the
    // proxy, it runs on a connection to the new primary instead.
    command.retryCopy = frame.retainedDuplicate();
    forward(command);
  }

  /**
   * A blocking command that never left the proxy (held while the primary was replaced) borrows a
   * connection to the new primary and runs there. One lost in flight may have run: its error
   * stands.
   */
  private boolean borrowAgain(PendingCommand command) {
    BackendConnection old = command.borrowed();
    releaseBorrowed(command);
    if (command.lost != PendingCommand.LOST_UNSENT
        || command.retryCopy == null
        || !loop.topology().hasPrimary()) {
      return false;
    }
    BackendConnection fresh =
        loop.acquireExclusive(
            loop.topology().primary(), old.pool().db(), old.pool().protocol(), old.pool().login());
    if (fresh == null) {
      return false;
    }
    command.reply.release();
    command.reply = null;
    command.lost = 0;
    command.rare().borrowed = fresh;
    command.request = command.retryCopy.retainedDuplicate();
    sendAgain(command, fresh);
    return true;
  }

  private static boolean isWait(CommandSpec spec) {
    return spec.name().equals("WAIT") || spec.name().equals("WAITAOF");
  }

  /** XREAD and XREADGROUP block only with a BLOCK option. */
  private boolean blocks(CommandSpec spec) {
    if (!spec.name().startsWith("XREAD")) {
      return true;
    }
    while (args.advance()) {
      if (args.is("BLOCK")) {
        return true;
      }
    }
    return false;
  }

  String exclusiveLimitText() {
    return "ERR Switchboard: all "
        + loop.config().limits().maxExclusiveConnections()
        + " exclusive backend connections are held (transactions, blocking commands,"
        + " subscriptions); raise limits.max-exclusive-connections";
  }

  void enqueue(PendingCommand answered) {
    answered.silent = replyMode.silent();
    replies.add(answered);
    if (answered.closeAfter) {
      closing = true;
    }
    writeCompleted();
  }

  void forward(PendingCommand command) {
    command.silent = replyMode.silent();
    replies.add(command);
    dispatch(command);
    if (command.isDone()) {
      writeCompleted();
    }
  }

  private void dispatch(PendingCommand command) {
    if (!parked.isEmpty()) {
      parked.add(command);
      return;
    }
    BackendConnection target = target(command);
    if (target == null) {
      answerInPlace(command, noTarget(command));
    } else if (outstanding > 0 && target != lastConnection) {
      parked.add(command);
    } else {
      send(command, target);
    }
  }

  private void send(PendingCommand command, BackendConnection target) {
    lastConnection = target;
    outstanding++;
    command.sentTo = target;
    if (command.spec != null && command.spec.has(CommandSpec.SCRIPT_SHA)) {
      prepareScript(command, target);
    } else if (command.retryCopy == null
        && (command.route == PendingCommand.TO_READ
            ? !target.pool().primary()
            : command.route == PendingCommand.TO_PRIMARY && !command.spec.isRead())) {
      // Kept until the reply: to run a read on the primary if this replica stops answering, or
      // a write again on the real primary if this one answers READONLY (it was demoted).
      command.retryCopy = command.request.retainedDuplicate();
    }
    if (command.markOffsetFirst()) {
      markWriteOffset(target);
    }
    target.send(command);
  }

  /**
   * Before EVALSHA reaches a node the proxy has not yet loaded the script on, loads it there (when
   * the body is known) on the same connection, so it runs in order; keeps a copy of the request in
   * case the node answers NOSCRIPT anyway (someone flushed its scripts).
   */
  private void prepareScript(PendingCommand command, BackendConnection target) {
    if (command.retryCopy == null) {
      command.retryCopy = command.request.retainedDuplicate();
    }
    ArgCursor sha = scratch.reset(command.request).seek(1);
    if (sha.length() != 40) {
      return;
    }
    String key = sha.string();
    byte[] body = loop.scripts().body(key);
    HostAndPort node = target.pool().node();
    if (body != null && !loop.scriptLoaded(node, key)) {
      target.sendInternal(ScriptCache.loadCommand(loop.alloc(), body), ByteBuf::release);
      loop.scriptLoaded(node, key, true);
    }
  }

  /**
   * WAIT counts replicas that acknowledged the connection's last write, but this session's writes
   * went over a shared connection. A propagated no-op on the exclusive connection, sent after those
   * writes were answered, moves its write offset past them. SPUBLISH reaches only SSUBSCRIBE
   * clients of this exact channel (no pattern matches shard channels); Redis 6 lacks it and gets
   * PUBLISH.
   */
  private void markWriteOffset(BackendConnection target) {
    boolean seven = !loop.facts().version().startsWith("6.");
    target.sendInternal(
        Replies.command(loop.alloc(), seven ? "SPUBLISH" : "PUBLISH", "__switchboard:wait__", ""),
        ByteBuf::release);
  }

  /** A command its connection could not send (the node left the topology): send it again. */
  void redispatch(PendingCommand command) {
    BackendConnection target = target(command);
    if (target == null) {
      command.complete(noTarget(command)); // through onReply: it was outstanding
    } else {
      lastConnection = target;
      target.send(command);
    }
  }

  private BackendConnection target(PendingCommand command) {
    return switch (command.route) {
      // A shared connection a retry was pinned to may have left with its node: route afresh.
      case PendingCommand.TO_PINNED ->
          command.pinned().usable() || command.pinned().exclusive
              ? command.pinned()
              : primaryTarget();
      case PendingCommand.TO_READ -> readTarget(command);
      default -> primaryTarget();
    };
  }

  private BackendConnection primaryTarget() {
    if (!loop.topology().hasPrimary()) {
      return null;
    }
    if (cachedPrimary == null
        || cachedGeneration != loop.generation()
        || cachedDb != db
        || cachedProtocol != protocol
        || !java.util.Objects.equals(cachedPrimary.pool().login(), login)
        || !cachedPrimary.usable()) {
      BackendPool pool = loop.pool(loop.topology().primary(), db, protocol, login);
      if (pool == null) {
        return null; // every user pool busy (auth.max-user-pools): noTarget says so
      }
      cachedPrimary = pool.pick();
      cachedGeneration = loop.generation();
      cachedDb = db;
      cachedProtocol = protocol;
    }
    return cachedPrimary;
  }

  private BackendConnection readTarget(PendingCommand command) {
    ReadFrom readFrom = listener.readFrom();
    if (readFrom == ReadFrom.PRIMARY
        || listener.consistency() == Consistency.PRIMARY
        || !loop.topology().hasPrimary()) {
      return primaryTarget();
    }
    long floor = readFloor();
    if (command.spec.has(CommandSpec.CURSOR) && cursorNode != null && continuesCursor(command)) {
      return cursorTarget();
    }
    // Stay on the connection already serving this session when it may serve the read: a pipeline
    // of reads (and reads between writes) then flows without waiting on the ordering barrier.
    BackendConnection last = lastConnection;
    if (outstanding > 0 && last != null && last.usable() && sameDbAndProtocol(last)) {
      BackendPool pool = last.pool();
      if (pool.primary()
          ? readFrom != ReadFrom.REPLICA || floor >= 0
          : loop.balancer().mayRead(pool.node(), floor)) {
        return rememberCursor(command, last);
      }
    }
    HostAndPort node = loop.balancer().pick(db, protocol, readFrom == ReadFrom.ANY, floor);
    if (node == null || node.equals(loop.topology().primary())) {
      if (node == null && readFrom == ReadFrom.REPLICA && floor < 0) {
        return null; // read-from = replica and none qualifies: a clear error, not the primary
      }
      return rememberCursor(command, primaryTarget());
    }
    BackendPool replica = loop.pool(node, db, protocol, login);
    if (replica != null && login != null && !replica.loginUsable()) {
      // Users live on each node: until this replica has taken the session's login, its reads go
      // to the primary (a first connection logs in meanwhile, unless the replica refused it).
      if (!replica.loginRefused()) {
        replica.warmUp();
      }
      replica = null;
    }
    return rememberCursor(command, replica == null ? primaryTarget() : replica.pick());
  }

  private BackendConnection rememberCursor(PendingCommand command, BackendConnection target) {
    if (command.spec.has(CommandSpec.CURSOR) && target != null) {
      cursorNode = target.pool().node();
    }
    return target;
  }

  /** A SCAN-family command with a cursor other than 0 continues an iteration. */
  private boolean continuesCursor(PendingCommand command) {
    ArgCursor cursor = scratch.reset(command.request);
    cursor.seek(command.spec.name().equals("SCAN") ? 1 : 2);
    return !(cursor.length() == 1 && cursor.frame().getByte(cursor.offset()) == '0');
  }

  private BackendConnection cursorTarget() {
    HostAndPort node = cursorNode;
    if (node.equals(loop.topology().primary())) {
      return primaryTarget();
    }
    if (loop.topology().replicas().contains(node)) {
      // The cursor is only meaningful where it was issued, even if that node now lags.
      BackendPool pool = loop.pool(node, db, protocol, login);
      return pool == null ? null : pool.pick();
    }
    return primaryTarget();
  }

  private boolean sameDbAndProtocol(BackendConnection connection) {
    return connection.pool().db() == db
        && connection.pool().protocol() == protocol
        && java.util.Objects.equals(connection.pool().login(), login);
  }

  /**
   * The replication offset a node must have applied to serve this session's reads: -1 for any;
   * {@link Long#MAX_VALUE} (no replica qualifies) until an offset observed after the last write is
   * known.
   */
  private long readFloor() {
    if (!wrote || listener.consistency() != Consistency.READ_YOUR_WRITES) {
      return -1;
    }
    if (readFloor >= 0) {
      return readFloor;
    }
    ReplicationSnapshot replication = loop.replication();
    if (replication.primaryOffset() >= 0
        && replication.primaryAskedAtNanos() - lastWriteNanos > 0
        && loop.topology().primary().equals(replication.primary())) {
      readFloor = replication.primaryOffset();
      return readFloor;
    }
    return Long.MAX_VALUE;
  }

  /** Answers a command never given to a backend, so it never counted as outstanding. */
  private static void answerInPlace(PendingCommand command, ByteBuf reply) {
    command.releaseRequest();
    if (command.borrowed() != null) {
      command.session.releaseBorrowed(command);
    }
    command.reply = reply;
  }

  private ByteBuf noTarget(PendingCommand command) {
    if (login != null && loop.topology().hasPrimary() && loop.loginPoolsFull()) {
      return Replies.error(
          loop.alloc(),
          "ERR Switchboard: every backend pool for Redis users on this event loop is in use;"
              + " raise auth.max-user-pools");
    }
    if (command.route == PendingCommand.TO_READ && loop.topology().hasPrimary()) {
      return Replies.error(
          loop.alloc(),
          "ERR Switchboard has no replica fit to serve reads (read-from = replica);"
              + " replicas must be up, synced and within routing.max-replica-lag");
    }
    return Replies.error(loop.alloc(), noPrimaryText());
  }

  String noPrimaryText() {
    return "ERR Switchboard has no primary to send this to: " + loop.topology().problem();
  }

  /** Called by a backend connection (same event loop) when a forwarded command is answered. */
  void onReply(PendingCommand command) {
    if (command.borrowed() != null) {
      if (!closed && !command.discarded && borrowAgain(command)) {
        return; // sent again, on a connection to the new primary
      }
      if (command.borrowed() != null) {
        releaseBorrowed(command);
      }
    }
    if (!closed && !command.discarded && transaction.recover(command)) {
      return;
    }
    if (closed || command.discarded) {
      transaction.forget(command);
      command.reply.release();
      command.reply = null;
      command.releaseRetryCopy();
      return;
    }
    if (command.retryCopy != null
        && command.spec.has(CommandSpec.SCRIPT_SHA)
        && retryScript(command)) {
      return;
    }
    if (command.retryCopy != null
        && command.route == PendingCommand.TO_PRIMARY
        && startsWith(command.reply, READONLY)) {
      holdWriteAgain(command);
      return;
    }
    if (command.retryCopy != null
        && command.lost == PendingCommand.LOST_IN_FLIGHT
        && command.route == PendingCommand.TO_READ
        && retryLostRead(command)) {
      return;
    }
    command.releaseRetryCopy();
    outstanding--;
    afterReply(command);
    if (command.spec != null && command.sentTo != null) {
      loop.recordCommand(
          command.spec,
          command.sentTo.pool().primary() ? ProxyMetrics.Route.PRIMARY : ProxyMetrics.Route.REPLICA,
          System.nanoTime() - command.startedAtNanos);
    }
    while (!parked.isEmpty()) {
      PendingCommand next = parked.peek();
      BackendConnection target = target(next);
      if (target == null) {
        answerInPlace(parked.poll(), noTarget(next));
        continue;
      }
      if (outstanding > 0 && target != lastConnection) {
        break;
      }
      send(parked.poll(), target);
    }
    writeCompleted();
    updateAutoRead();
  }

  /**
   * EVALSHA or EVALSHA_RO answered NOSCRIPT: load the remembered body on that node and run the call
   * again there; with no body at hand, a replica's NOSCRIPT is retried on the primary (where the
   * client's SCRIPT LOAD went). Still one outstanding command. Commands the client pipelined behind
   * it may have run first; that is only visible if its scripts were flushed under it.
   */
  private boolean retryScript(PendingCommand command) {
    ByteBuf copy = command.retryCopy;
    command.retryCopy = null;
    ByteBuf reply = command.reply;
    boolean noScript =
        reply.readableBytes() > 9
            && reply.toString(reply.readerIndex(), 9, UTF_8).equals("-NOSCRIPT");
    if (!noScript) {
      copy.release();
      return false;
    }
    String sha = scratch.reset(copy).seek(1).string();
    byte[] body = loop.scripts().body(sha);
    BackendConnection again = command.sentTo;
    if (body != null && again != null && again.usable()) {
      // Someone flushed the node's scripts: load the body there and run the call again.
      again.sendInternal(ScriptCache.loadCommand(loop.alloc(), body), ByteBuf::release);
      loop.scriptLoaded(again.pool().node(), sha, true);
    } else if (again != null && !again.pool().primary()) {
      again = primaryTarget(); // the client loaded it where SCRIPT LOAD went: the primary
    } else {
      again = null;
    }
    if (again == null) {
      copy.release();
      return false;
    }
    reply.release();
    command.reply = null;
    resend(command, copy, again);
    return true;
  }

  private static final byte[] READONLY = "-READONLY".getBytes(UTF_8);

  private static boolean startsWith(ByteBuf reply, byte[] prefix) {
    if (reply.readableBytes() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (reply.getByte(reply.readerIndex() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * A write reached a primary that has been demoted (READONLY): it did not run. The client never
   * sees that error; the write waits, with the session's later commands, for the new primary.
   */
  private void holdWriteAgain(PendingCommand command) {
    command.reply.release();
    command.reply = null;
    BackendConnection answered = command.sentTo;
    loop.doubtPrimary(answered.pool().node());
    command.request = command.retryCopy.retainedDuplicate(); // the copy stays, for another round
    answered.holdAgain(command);
  }

  /**
   * A replica died with a read in flight. Unlike a write, a read is safe to run again: it runs on
   * the primary, and the client never sees the replica go.
   */
  private boolean retryLostRead(PendingCommand command) {
    BackendConnection primary = primaryTarget();
    if (primary == null) {
      return false;
    }
    command.reply.release();
    command.reply = null;
    command.lost = 0;
    ByteBuf copy = command.retryCopy;
    command.retryCopy = null;
    resend(command, copy, primary);
    return true;
  }

  /** Sends an outstanding command again, from its kept copy, on {@code to}. */
  private void resend(PendingCommand command, ByteBuf copy, BackendConnection to) {
    command.request = copy;
    sendAgain(command, to);
  }

  /**
   * A read has waited on a replica past {@code routing.outlier-latency}: run it on the primary
   * instead. Whichever node answers first answers the client; the other reply is dropped. The
   * session's later reads on that replica are stuck too and are retried in order after it.
   */
  void retryStuckRead(PendingCommand command) {
    if (command.isDone() || command.discarded || closed || command.retryCopy == null) {
      return;
    }
    BackendConnection primary = primaryTarget();
    if (primary == null) {
      return;
    }
    ByteBuf copy = command.retryCopy;
    command.retryCopy = null;
    resend(command, copy, primary);
  }

  /** Session bookkeeping a reply settles: transaction end, database after EXEC, last write. */
  private void afterReply(PendingCommand command) {
    transaction.answered(command);
    CommandSpec spec = command.spec;
    if (spec != null && !spec.isRead() && listener.consistency() == Consistency.READ_YOUR_WRITES) {
      wrote = true;
      lastWriteNanos = System.nanoTime();
      readFloor = -1;
    }
  }

  private void releaseBorrowed(PendingCommand command) {
    BackendConnection borrowed = command.borrowed();
    command.rare().borrowed = null;
    loop.release(borrowed);
  }

  /** RESET: subscriptions end and cursors start over (a lease was handled by the caller). */
  void resetServerState() {
    cursorNode = null;
    subscription.reset();
  }

  /** Sends a subscribe-family command over the subscription's own connection. */
  PendingCommand forwardSubscription(CommandSpec spec, ByteBuf frame, BackendConnection to) {
    return forwardPinned(spec, frame, to);
  }

  /** Writes the answered prefix of the reply queue, without flushing (that is per batch). */
  void writeCompleted() {
    boolean wrote = false;
    PendingCommand head;
    while ((head = replies.peek()) != null && head.isDone()) {
      replies.poll();
      ByteBuf reply = head.reply;
      head.reply = null;
      boolean silent = head.silent;
      if (silent) {
        reply.release();
        reply = Unpooled.EMPTY_BUFFER;
      }
      if (head.closeAfter) {
        channel.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        closing = true;
        releaseQueued();
        return;
      }
      head.markDelivered();
      loop.recycle(head);
      if (silent) {
        continue;
      }
      loop.bytesSent += reply.readableBytes();
      channel.write(reply, channel.voidPromise());
      wrote = true;
    }
    if (wrote) {
      loop.markDirty(this);
      ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
      if (outbound != null && outbound.totalPendingWriteBytes() > maxOutputBytes) {
        log.warn(
            "Closing client {} (id {}): {} reply bytes queued, over limits.client-output-buffer-bytes",
            channel.remoteAddress(),
            id,
            outbound.totalPendingWriteBytes());
        closing = true;
        channel.close();
      }
    }
  }

  void flush() {
    if (!closed) {
      channel.flush();
    }
  }

  /** When the timeout check last found this client waiting for replies or subscribed. */
  private long busySeenNanos = System.nanoTime();

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
    loop.flushSoon();
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
    loop.metrics().clientDisconnected();
    loop.sessionClosed(this);
    releaseQueued();
  }

  /** Releases what this session still holds; replies still due from backends are dropped later. */
  private void releaseQueued() {
    for (PendingCommand command : replies) {
      command.discarded = true;
      if (command.reply != null) {
        command.reply.release();
        command.reply = null;
      }
      if (command.borrowed() != null && !command.isDone()) {
        // A blocked command whose client is gone must not keep its connection blocked.
        command.borrowed().close();
        releaseBorrowed(command);
      }
    }
    for (PendingCommand command : parked) {
      command.releaseRequest();
    }
    parked.clear();
    if (held != null) {
      held.forEach(ByteBuf::release);
      held = null;
    }
    loop.firstPrimary().remove(this);
    replies.clear();
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
      loop.metrics().error(ProxyMetrics.ErrorKind.PROTOCOL);
      PendingCommand error =
          PendingCommand.answered(
              this, Replies.error(loop.alloc(), "ERR " + protocolError.getMessage()));
      error.closeAfter = true;
      enqueue(error);
      loop.flushAll();
    } else {
      log.debug("Client {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
