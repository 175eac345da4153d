package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;
import io.switchboard.proxy.backend.BackendConnection;
import io.switchboard.proxy.backend.PendingCommand;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Copies of the commands a session sends over its transaction lease, kept so that a transaction
 * whose server connection is lost before its EXEC ran can be built again on a new one (the old
 * primary left the topology, or died). Redis queues MULTI's commands without running them, so
 * sending the MULTI and the queued commands again on the new primary changes nothing the client
 * could see; their replies there are dropped, since the client has them already.
 *
 * <p>Bounded: past {@link #MAX_BYTES} of copies, the log stops keeping them and a lost lease fails
 * the transaction with an error instead.
 */
final class TransactionLog {

  /** Copies kept per session at most: a transaction larger than this is not replayed. */
  static final long MAX_BYTES = 16L << 20;

  private final ArrayDeque<PendingCommand> entries = new ArrayDeque<>();
  private long bytes;
  private boolean overflowed;

  /** Keeps a copy of a command about to be sent over the lease. */
  void record(PendingCommand command, boolean multiPart) {
    if (overflowed || command.request == null) {
      return;
    }
    int size = command.request.readableBytes();
    if (bytes + size > MAX_BYTES) {
      dropAll();
      overflowed = true;
      return;
    }
    bytes += size;
    command.rare().txCopy = command.request.retainedDuplicate();
    command.rare().multiPart = multiPart;
    entries.add(command);
  }

  /** Whether a lost {@code command} can be sent again: the log holds its copy. */
  boolean holds(PendingCommand command) {
    return command.txCopy() != null;
  }

  /** A fresh copy of a logged command's request, to send. */
  ByteBuf copyOf(PendingCommand command) {
    return command.txCopy().retainedDuplicate();
  }

  /**
   * The client got the reply: what can no longer be replayed is dropped. A transaction is over at
   * its EXEC or DISCARD; a command outside MULTI only needed its copy until it was answered.
   */
  void answered(PendingCommand command) {
    if (command.txCopy() == null) {
      return;
    }
    command.rare().txAnswered = true;
    String name = command.spec == null ? "" : command.spec.name();
    if (name.equals("EXEC") || name.equals("DISCARD")) {
      PendingCommand head;
      while ((head = entries.poll()) != null) {
        drop(head);
        if (head == command) {
          break;
        }
      }
    }
    while (!entries.isEmpty() && entries.peek().txAnswered() && !entries.peek().multiPart()) {
      drop(entries.poll());
    }
  }

  /**
   * Sends, on {@code fresh}, the MULTI and queued commands the client already has replies for, in
   * order, as the proxy's own (replies dropped); {@code firstLost} and what follows it will be sent
   * again as themselves.
   */
  void replayAnsweredBefore(PendingCommand firstLost, BackendConnection fresh) {
    for (Iterator<PendingCommand> it = entries.iterator(); it.hasNext(); ) {
      PendingCommand entry = it.next();
      if (entry == firstLost) {
        return;
      }
      if (entry.multiPart() && entry.txAnswered()) {
        fresh.sendInternal(copyOf(entry), ByteBuf::release);
      }
    }
  }

  /**
   * Sends, on {@code fresh}, the open transaction's MULTI and every command queued after it so far,
   * answered or not, as the proxy's own (replies dropped: the client gets those of the old lease).
   * False when the log no longer holds that MULTI (it overflowed).
   */
  boolean replayOpenMulti(BackendConnection fresh) {
    PendingCommand multi = null;
    for (PendingCommand entry : entries) {
      if (entry.multiPart() && entry.spec != null && entry.spec.name().equals("MULTI")) {
        multi = entry;
      }
    }
    if (multi == null) {
      return false;
    }
    boolean after = false;
    for (PendingCommand entry : entries) {
      after |= entry == multi;
      if (after && entry.multiPart()) {
        fresh.sendInternal(copyOf(entry), ByteBuf::release);
      }
    }
    return true;
  }

  private void drop(PendingCommand entry) {
    bytes -= entry.txCopy().readableBytes();
    entry.txCopy().release();
    entry.rare().txCopy = null;
  }

  /** The lease is given back (or the session ends): nothing more to replay. */
  void clear() {
    dropAll();
    overflowed = false;
  }

  private void dropAll() {
    PendingCommand entry;
    while ((entry = entries.poll()) != null) {
      drop(entry);
    }
    bytes = 0;
  }
}
