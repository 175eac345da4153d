package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.DecoderException;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.RespProtocolException;
import io.switchboard.routing.CommandSpec;
import io.switchboard.routing.CommandTable;
import java.util.ArrayDeque;
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
 * <p>Runs on the client channel's event loop, which also owns every backend connection it uses.
 */
final class ClientSession extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
  private static final AtomicLong IDS = new AtomicLong();

  final long id = IDS.incrementAndGet();
  final long connectedAtMillis = System.currentTimeMillis();
  private final LoopBackends loop;
  private final CommandTable commands;
  private final ArgCursor args = new ArgCursor();
  private final LocalCommands local;
  private final ArrayDeque<PendingCommand> replies = new ArrayDeque<>();
  private final ArrayDeque<PendingCommand> parked = new ArrayDeque<>();
  private final int maxInflight;
  private final long maxOutputBytes;
  private Channel channel;
  private BackendConnection lastConnection;
  private BackendConnection cachedConnection;
  private int cachedGeneration;
  private int cachedDb;
  private int cachedProtocol;
  private int outstanding;
  private boolean closing;
  private boolean closed;
  boolean dirty;

  // Connection state the proxy owns on the client's behalf.
  int db;
  int protocol = 2;
  String name;
  String libName = "";
  String libVersion = "";

  ClientSession(LoopBackends loop, CommandTable commands) {
    this.loop = loop;
    this.commands = commands;
    this.local = new LocalCommands(this, loop);
    this.maxInflight = loop.config().limits().maxInflightPerClient();
    this.maxOutputBytes = loop.config().limits().clientOutputBufferBytes();
  }

  Channel channel() {
    return channel;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    if (closing) {
      frame.release();
      return;
    }
    args.reset(frame);
    CommandSpec spec = commands.lookup(frame, args.offset(), args.length());
    if (spec.has(CommandSpec.CONNECTION)) {
      PendingCommand answer;
      try {
        answer = local.answer(spec, args);
      } finally {
        frame.release();
      }
      enqueue(answer);
    } else if (spec.has(CommandSpec.UNSUPPORTED)
        || spec.has(CommandSpec.TRANSACTION)
        || spec.has(CommandSpec.PUBSUB)
        || blocks(spec)) {
      frame.release();
      enqueue(PendingCommand.answered(this, Replies.error(loop.alloc(), unsupported(spec))));
    } else {
      PendingCommand command = new PendingCommand(this, frame);
      replies.add(command);
      dispatch(command);
      if (command.isDone()) {
        writeCompleted();
      }
    }
    updateAutoRead();
  }

  /** XREAD and XREADGROUP block only with a BLOCK option. */
  private boolean blocks(CommandSpec spec) {
    if (!spec.has(CommandSpec.BLOCKING)) {
      return false;
    }
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

  private static String unsupported(CommandSpec spec) {
    String why;
    if (spec.has(CommandSpec.UNSUPPORTED)) {
      why = "it needs a server connection of its own (replication stream or server tap)";
    } else if (spec.has(CommandSpec.TRANSACTION)) {
      why = "transactions are not carried through the proxy yet";
    } else if (spec.has(CommandSpec.PUBSUB)) {
      why = "pub/sub is not carried through the proxy yet";
    } else {
      why = "blocking commands are not carried through the proxy yet";
    }
    return "ERR '" + spec.name() + "' is not supported by Switchboard: " + why;
  }

  private void enqueue(PendingCommand answered) {
    replies.add(answered);
    if (answered.closeAfter) {
      closing = true;
    }
    writeCompleted();
  }

  private void dispatch(PendingCommand command) {
    if (!parked.isEmpty()) {
      parked.add(command);
      return;
    }
    BackendConnection target = target();
    if (target == null) {
      answerInPlace(command, noPrimary());
    } else if (outstanding > 0 && target != lastConnection) {
      parked.add(command);
    } else {
      send(command, target);
    }
  }

  private void send(PendingCommand command, BackendConnection target) {
    lastConnection = target;
    outstanding++;
    target.send(command);
  }

  /** A command its connection could not send (the node left the topology): send it again. */
  void redispatch(PendingCommand command) {
    BackendConnection target = target();
    if (target == null) {
      command.complete(noPrimary()); // through onReply: it was outstanding
    } else {
      lastConnection = target;
      target.send(command);
    }
  }

  private BackendConnection target() {
    if (!loop.topology().hasPrimary()) {
      return null;
    }
    if (cachedConnection == null
        || cachedGeneration != loop.generation()
        || cachedDb != db
        || cachedProtocol != protocol
        || !cachedConnection.usable()) {
      cachedConnection = loop.primaryPool(db, protocol).pick();
      cachedGeneration = loop.generation();
      cachedDb = db;
      cachedProtocol = protocol;
    }
    return cachedConnection;
  }

  /** Answers a command never given to a backend, so it never counted as outstanding. */
  private static void answerInPlace(PendingCommand command, ByteBuf reply) {
    command.releaseRequest();
    command.reply = reply;
  }

  private ByteBuf noPrimary() {
    return Replies.error(
        loop.alloc(),
        "ERR Switchboard has no primary to send this to: " + loop.topology().problem());
  }

  /** Called by a backend connection (same event loop) when a forwarded command is answered. */
  void onReply(PendingCommand command) {
    if (closed || command.discarded) {
      command.reply.release();
      command.reply = null;
      return;
    }
    outstanding--;
    while (!parked.isEmpty()) {
      BackendConnection target = target();
      if (target == null) {
        answerInPlace(parked.poll(), noPrimary());
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

  /** Writes the answered prefix of the reply queue, without flushing (that is per batch). */
  private void writeCompleted() {
    boolean wrote = false;
    PendingCommand head;
    while ((head = replies.peek()) != null && head.isDone()) {
      replies.poll();
      ByteBuf reply = head.reply;
      head.reply = null;
      if (head.closeAfter) {
        channel.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        closing = true;
        releaseQueued();
        return;
      }
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

  private void updateAutoRead() {
    if (closed) {
      return;
    }
    boolean want = !closing && replies.size() < maxInflight && channel.isWritable();
    if (channel.config().isAutoRead() != want) {
      channel.config().setAutoRead(want);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    loop.flushAll();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateAutoRead();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closed = true;
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
    }
    for (PendingCommand command : parked) {
      command.releaseRequest();
    }
    parked.clear();
    replies.clear();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable protocolError = cause instanceof DecoderException ? cause : null;
    while (protocolError != null && !(protocolError instanceof RespProtocolException)) {
      protocolError = protocolError.getCause();
    }
    if (protocolError != null && !closed && !closing) {
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
