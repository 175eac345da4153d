package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;

/**
 * One command between a client and its reply: in the session's ordered reply queue, and (until
 * answered) in a backend connection's unsent or in-flight queue. Owned by one event loop.
 */
final class PendingCommand {

  /** Null for the proxy's own commands (connection handshakes). */
  final ClientSession session;

  /** The request frame while not yet written to a backend; then null (the channel owns it). */
  ByteBuf request;

  /** The reply, once known; written to the client in request order. */
  ByteBuf reply;

  /** When it started waiting for a backend connection, for the reconnect-wait bound. */
  long heldSinceNanos;

  /** The session gave up on this command (it closed); a late reply is released, not written. */
  boolean discarded;

  /** Close the client after this reply is written (QUIT, protocol errors). */
  boolean closeAfter;

  PendingCommand(ClientSession session, ByteBuf request) {
    this.session = session;
    this.request = request;
  }

  static PendingCommand answered(ClientSession session, ByteBuf reply) {
    PendingCommand command = new PendingCommand(session, null);
    command.reply = reply;
    return command;
  }

  boolean isDone() {
    return reply != null;
  }

  /** Records the reply and tells the session, which writes it when all before it are written. */
  void complete(ByteBuf reply) {
    if (this.reply != null) {
      ReferenceCountUtil.release(reply);
      return;
    }
    releaseRequest();
    this.reply = reply;
    if (session != null) {
      session.onReply(this);
    } else {
      ReferenceCountUtil.release(reply);
    }
  }

  void releaseRequest() {
    if (request != null) {
      request.release();
      request = null;
    }
  }
}
