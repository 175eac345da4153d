package io.switchboard.proxy.session;

import io.netty.buffer.ByteBuf;

/**
 * The parts a client command became in cluster mode (split across slots, or run on every primary),
 * and how their replies make the client's one reply. The parts sit in the session's reply queue in
 * order, so their replies arrive here in the order the parts were made.
 */
interface CommandParts {

  /** Takes one part's reply; returns the client's reply with the last part, null before it. */
  ByteBuf take(ByteBuf partReply);

  /** Releases what it holds: the session closed before its last part was answered. */
  void release();

  /** Counts one part answered by its node; true for the last one (in any order). */
  boolean lastAnswered();
}
