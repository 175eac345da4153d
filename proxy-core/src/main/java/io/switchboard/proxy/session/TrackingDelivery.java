package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.switchboard.proxy.resp.Replies;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;

/**
 * Where one tracking session's invalidations go, in the form Redis sends them (tracking.c,
 * sendTrackingMessage): to the session itself as a RESP3 {@code invalidate} push, or with {@code
 * REDIRECT id} to that client, on whichever event loop it is: a push if it speaks RESP3, a {@code
 * __redis__:invalidate} message if it is a RESP2 subscriber, nothing otherwise. A redirect target
 * that is gone makes the redirect broken, as on Redis: the session hears {@code
 * tracking-redir-broken} (RESP3) and its flags say so.
 */
final class TrackingDelivery {

  private static final ByteBuf PUSH_HEAD = constant(InvalidationKeys.INVALIDATE_HEAD);
  private static final ByteBuf MESSAGE_HEAD =
      constant(
          "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
              .getBytes(StandardCharsets.US_ASCII));
  private static final byte[] NULL2 = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL3 = "_\r\n".getBytes(StandardCharsets.US_ASCII);

  private final ClientSession session;
  private final ClientDirectory directory;
  private final ByteBufAllocator alloc;

  /** The client invalidations go to; 0 for this session itself. */
  long redirect;

  /** The redirect target was gone when an invalidation was due. */
  boolean broken;

  TrackingDelivery(ClientSession session, ClientDirectory directory, ByteBufAllocator alloc) {
    this.session = session;
    this.directory = directory;
    this.alloc = alloc;
  }

  private static ByteBuf constant(byte[] bytes) {
    return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes));
  }

  /** Whether invalidations reach anyone: a RESP3 session, or a redirect. */
  boolean reachesSomeone() {
    return redirect != 0 || session.protocol == 3;
  }

  /** One key's invalidation, as Redis sends it in default mode. */
  void key(String key) {
    byte[] name = key.getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf payload = alloc.buffer(16 + name.length);
    Replies.writeHeader(payload, '*', 1);
    Replies.writeBulk(payload, name);
    tell(payload);
  }

  /** Every key is invalid: the null that follows a FLUSHALL, in this session's protocol. */
  void all() {
    byte[] none = session.protocol == 3 ? NULL3 : NULL2;
    deliver(alloc.buffer(none.length).writeBytes(none));
  }

  /**
   * An invalidation's keys as the server sent them (an array, or a null for every key); taken over.
   * A null comes in this session's protocol, as Redis writes it.
   */
  void tell(ByteBuf payload) {
    byte type = payload.getByte(payload.readerIndex());
    if (type == '_' || (type == '$' && payload.getByte(payload.readerIndex() + 1) == '-')) {
      payload.release();
      all();
      return;
    }
    deliver(payload);
  }

  private void deliver(ByteBuf payload) {
    if (redirect == 0) {
      if (session.protocol == 3 && !session.isClosed()) {
        session.replies().push(Unpooled.wrappedBuffer(PUSH_HEAD.duplicate(), payload));
      } else {
        payload.release();
      }
      return;
    }
    ClientSession target = directory.find(redirect);
    if (target == null) {
      payload.release();
      broken = true;
      if (session.protocol == 3 && !session.isClosed()) {
        ByteBuf notice = alloc.buffer(48);
        Replies.writeHeader(notice, '>', 2);
        Replies.writeBulk(notice, "tracking-redir-broken");
        Replies.writeHeader(notice, ':', redirect);
        session.replies().push(notice);
      }
      return;
    }
    EventLoop home = target.channel().eventLoop();
    if (home.inEventLoop()) {
      target.tracking().delivery().received(payload);
      return;
    }
    try {
      home.execute(() -> target.tracking().delivery().received(payload));
    } catch (RejectedExecutionException e) {
      payload.release(); // its loop is shutting down, and the client with it
    }
  }

  /** Invalidations another session redirected here (on this session's loop). */
  void received(ByteBuf payload) {
    if (session.isClosed()) {
      payload.release();
    } else if (session.protocol == 3) {
      session.replies().push(Unpooled.wrappedBuffer(PUSH_HEAD.duplicate(), payload));
    } else if (session.subscription().active()) {
      session.replies().push(Unpooled.wrappedBuffer(MESSAGE_HEAD.duplicate(), payload));
    } else {
      payload.release(); // RESP2 and not subscribed: Redis has nowhere to put it either
    }
  }
}
