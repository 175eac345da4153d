package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.routing.CommandSpec;
import java.util.function.Consumer;

/**
 * One command between a client and its reply: in the session's ordered reply queue, and (until
 * answered) in a backend connection's unsent or in-flight queue. Owned by one event loop.
 */
public final class PendingCommand {

  /**
   * The session it belongs to; null for the proxy's own commands (handshakes, monitoring), which
   * have an internal callback. Set again only when a recycled command is reused.
   */
  CommandOwner session;

  /** What the command is, as the session routed it; null for the proxy's own commands. */
  public CommandSpec spec;

  /** The request frame while not yet written to a backend; then null (the channel owns it). */
  public ByteBuf request;

  /** The reply, once known; written to the client in request order. */
  public ByteBuf reply;

  /**
   * The request kept until the reply, to send it again: EVALSHA after a NOSCRIPT, a replica read
   * after the replica stopped answering, a write after a READONLY, a command after MOVED; and for
   * the slow log's arguments. One more reference to the request's own buffer, not a duplicate (a
   * recycled object per command, whose release alone was 5.6% of the event loop's CPU at P16): the
   * channel that writes the request moves its reader index, so the frame's bounds are kept beside
   * it and every reader goes through {@link #retryFrame} or {@link #retryRequest}.
   */
  private ByteBuf retryCopy;

  private int retryStart;
  private int retryLength;

  /** The connection it was last sent on. */
  public BackendConnection sentTo;

  /** What only transactions, blocking commands, subscriptions and failovers need; else null. */
  private Rare rare;

  /**
   * When it started waiting: for a backend connection while unsent (the reconnect-wait bound), then
   * for its reply once written (outlier detection).
   */
  long heldSinceNanos;

  /**
   * When it was written to its node, for the slow log's share of the node: measured on replicas
   * always (outlier detection), on primaries while the slow log keeps entries.
   */
  public long writtenAtNanos() {
    return heldSinceNanos;
  }

  /** When the client's request was read (its session's clock), for the command's latency. */
  public long startedAtNanos;

  /** How the session routes it: {@link #TO_PRIMARY}, {@link #TO_READ} or {@link #TO_PINNED}. */
  public byte route;

  public static final byte TO_PRIMARY = 0;
  public static final byte TO_READ = 1;
  public static final byte TO_PINNED = 2;

  /**
   * Set when its connection was lost before the reply: {@link #LOST_IN_FLIGHT} (it may have run) or
   * {@link #LOST_UNSENT} (it never left the proxy). The reply is then the proxy's error.
   */
  public byte lost;

  public static final byte LOST_IN_FLIGHT = 1;
  public static final byte LOST_UNSENT = 2;

  /** The session gave up on this command (it closed); a late reply is released, not written. */
  public boolean discarded;

  /** Close the client after this reply is written (QUIT, protocol errors). */
  public boolean closeAfter;

  /** The client turned this reply off (CLIENT REPLY OFF or SKIP): dropped in its turn. */
  public boolean silent;

  /**
   * Session-side, while outstanding: it was sent in its shard's order lane, not in the session-wide
   * order (cluster mode).
   */
  public boolean inLane;

  /**
   * Cluster mode: the slot whose shard serves it, found once when the session read it (its keys'
   * slot, or for a keyless part the slot that names its shard); -1 to route by the keys, or with
   * one shard. A short, with {@link #inLane}, keeps a plain command at 64 bytes.
   */
  public short slot = -1;

  /**
   * The fields most commands never use, apart so that a plain forwarded command stays a 64-byte
   * object (it was 104, most of the heap a forwarded command cost).
   */
  public static final class Rare {
    /** Takes the reply of a proxy-owned command (and must release it). */
    Consumer<ByteBuf> internal;

    /** A connection the session holds for this command alone (blocking commands), or null. */
    public BackendConnection borrowed;

    /** For {@link #TO_PINNED}: the session's transaction lease, or the borrowed connection. */
    public BackendConnection pinned;

    /** WAIT on an exclusive connection: first make that connection's write offset the session's. */
    public boolean markOffsetFirst;

    /** Subscribe family: confirmation frames still due, and those already received. */
    public int expectedFrames;

    public io.netty.buffer.CompositeByteBuf partial;

    /** Request bytes counted against {@code failover.hold-bytes} while it waits unsent. */
    int heldBytes;

    /** Redis Cluster redirections (MOVED, ASK) followed so far. */
    public int redirects;

    /**
     * Held again after a READONLY reply: it goes before the commands never sent (it came first).
     */
    boolean requeued;

    // Transaction replay (see TransactionLog): the request kept until the transaction is over.
    public ByteBuf txCopy;

    /** A write whose reply waits for the WAIT that follows it (write-ack = replicated). */
    boolean awaitsReplication;

    /** Counted in its session's uses of the transaction lease until answered. */
    public boolean leaseCounted;

    /** MULTI, a command queued after it, or the EXEC or DISCARD that ends it. */
    public boolean multiPart;

    /** The client has its reply (the reply itself is gone once written). */
    public boolean txAnswered;

    /** EXEC of a transaction that used WATCH: the session's lease epoch at that WATCH, else -1. */
    public int watchEpoch = -1;

    /**
     * Its reply went to the client. A command sent twice (a stuck read also run on the primary) is
     * answered by whichever node is first; the other reply must then be dropped, not taken for a
     * new answer (it was written nowhere and never released, and the session counted one reply too
     * many).
     */
    boolean delivered;

    /** Answer a nil array instead of the server's reply (an EXEC the proxy turned into DISCARD). */
    public boolean answerNil;

    /** An error to answer instead of the server's reply (EXEC of a transaction the proxy broke). */
    public String answerInstead;

    /**
     * Session-side data that rides with the command and that backend code never reads: for EXEC,
     * the commands the proxy answers itself, queued in the transaction, run at its reply.
     */
    public Object attachment;

    /**
     * Session-side: the client command this one is a part of (cluster mode splits a command across
     * slots, or runs it on every primary); its reply goes there, not to the client.
     */
    public Object partOf;

    /**
     * Session-side: a read whose keys the server tracks for a session with CLIENT TRACKING on, and
     * the proxy's table entries it keeps in flight until its reply.
     */
    public Object tracked;

    /**
     * Session-side: push frames (invalidations) the server sent after this reply, written right
     * after it.
     */
    public ByteBuf pushesAfter;

    /**
     * Session-side, for the near cache: a miss whose reply may fill it, or the keys of an
     * outstanding write (which its session's reads of those keys do not take from the cache).
     */
    public Object nearCache;
  }

  public PendingCommand(
      CommandOwner session, CommandSpec spec, ByteBuf request, long startedAtNanos) {
    this.session = session;
    this.startedAtNanos = startedAtNanos;
    this.spec = spec;
    this.request = request;
  }

  private PendingCommand(ByteBuf request, Consumer<ByteBuf> internal) {
    this.session = null;
    this.spec = null;
    this.request = request;
    rare().internal = internal;
  }

  /**
   * Whether nothing but its session's reply queue can still refer to it once its reply is written,
   * so it may be reused: a plain forwarded command, sent once, answered where it was sent. Anything
   * that ever needed the {@link Rare} fields (transactions, subscriptions, blocking, retries, held
   * writes, kept acknowledgements) is left to the garbage collector.
   */
  boolean recyclable() {
    return spec != null
        && rare == null
        && lost == 0
        && !closeAfter
        && !discarded
        && request == null
        && retryCopy == null
        && reply == null;
  }

  /** Clears it for reuse by {@code session}. */
  void reuse(CommandOwner session, CommandSpec spec, ByteBuf request, long startedAtNanos) {
    this.session = session;
    this.spec = spec;
    this.request = request;
    this.startedAtNanos = startedAtNanos;
    this.sentTo = null;
    this.heldSinceNanos = 0;
    this.route = TO_PRIMARY;
    this.silent = false;
    this.inLane = false;
    this.slot = -1;
  }

  static PendingCommand internal(ByteBuf request, Consumer<ByteBuf> onReply) {
    return new PendingCommand(request, onReply);
  }

  public static PendingCommand answered(CommandOwner session, ByteBuf reply) {
    PendingCommand command = new PendingCommand(session, null, null, 0);
    command.reply = reply;
    return command;
  }

  /** Its reply was written to the client (remembered only where a second reply may come). */
  public void markDelivered() {
    if (rare != null) {
      rare.delivered = true;
    }
  }

  /** The rarely used fields, created on first use. */
  public Rare rare() {
    Rare r = rare;
    if (r == null) {
      r = new Rare();
      rare = r;
    }
    return r;
  }

  Consumer<ByteBuf> internal() {
    return rare == null ? null : rare.internal;
  }

  public BackendConnection borrowed() {
    return rare == null ? null : rare.borrowed;
  }

  public BackendConnection pinned() {
    return rare == null ? null : rare.pinned;
  }

  public boolean markOffsetFirst() {
    return rare != null && rare.markOffsetFirst;
  }

  public int expectedFrames() {
    return rare == null ? 0 : rare.expectedFrames;
  }

  public io.netty.buffer.CompositeByteBuf partial() {
    return rare == null ? null : rare.partial;
  }

  int heldBytes() {
    return rare == null ? 0 : rare.heldBytes;
  }

  boolean requeued() {
    return rare != null && rare.requeued;
  }

  void clearRequeued() {
    if (rare != null) {
      rare.requeued = false;
    }
  }

  public ByteBuf txCopy() {
    return rare == null ? null : rare.txCopy;
  }

  boolean awaitsReplication() {
    return rare != null && rare.awaitsReplication;
  }

  public boolean leaseCounted() {
    return rare != null && rare.leaseCounted;
  }

  public boolean multiPart() {
    return rare != null && rare.multiPart;
  }

  public boolean txAnswered() {
    return rare != null && rare.txAnswered;
  }

  public int watchEpoch() {
    return rare == null ? -1 : rare.watchEpoch;
  }

  public boolean answerNil() {
    return rare != null && rare.answerNil;
  }

  public Object attachment() {
    return rare == null ? null : rare.attachment;
  }

  public Object partOf() {
    return rare == null ? null : rare.partOf;
  }

  public ByteBuf pushesAfter() {
    return rare == null ? null : rare.pushesAfter;
  }

  public Object nearCache() {
    return rare == null ? null : rare.nearCache;
  }

  public Object tracked() {
    return rare == null ? null : rare.tracked;
  }

  public String answerInstead() {
    return rare == null ? null : rare.answerInstead;
  }

  public boolean isDone() {
    return reply != null;
  }

  /** Records the reply and tells its owner: the session, or the proxy's own callback. */
  public void complete(ByteBuf reply) {
    if (this.reply != null || (rare != null && rare.delivered)) {
      ReferenceCountUtil.release(reply);
      return;
    }
    releaseRequest();
    Consumer<ByteBuf> internal = internal();
    if (internal != null) {
      internal.accept(reply);
      return;
    }
    this.reply = reply;
    if (session != null) {
      session.onReply(this);
    } else {
      ReferenceCountUtil.release(reply);
    }
  }

  public void releaseRequest() {
    if (request != null) {
      request.release();
      request = null;
    }
  }

  /** Whether its session should still get this command's reply (not answered, not abandoned). */
  boolean awaitsReply() {
    return reply == null && !discarded && session != null;
  }

  /** Keeps {@code request} (not yet written) until the reply: see {@link #retryCopy}. */
  public void keepRetryCopy() {
    retryCopy = request.retain();
    retryStart = request.readerIndex();
    retryLength = request.readableBytes();
  }

  public boolean hasRetryCopy() {
    return retryCopy != null;
  }

  /** The kept request to read (not to keep), or null. */
  public ByteBuf retryFrame() {
    return retryCopy == null ? null : retryCopy.slice(retryStart, retryLength);
  }

  /** The request to read its arguments: as it came while unsent, else the kept one, or null. */
  public ByteBuf frame() {
    return request != null ? request : retryFrame();
  }

  /** The kept request as a new frame to send again; the kept one stays, for another round. */
  public ByteBuf retryRequest() {
    return retryCopy.retainedSlice(retryStart, retryLength);
  }

  /** The kept request as a frame the caller owns; none is kept any more. */
  public ByteBuf takeRetryCopy() {
    ByteBuf frame = retryRequest();
    releaseRetryCopy();
    return frame;
  }

  public void releaseRetryCopy() {
    if (retryCopy != null) {
      retryCopy.release();
      retryCopy = null;
    }
  }
}
