package io.switchboard.proxy.backend;

/**
 * A channel written to during an event loop's read batch and flushed once at its end ({@link
 * FlushBatch}): a backend connection, or a client's replies.
 */
public abstract class Flushable {

  /** Already listed in the current batch. */
  boolean queued;

  public abstract void flush();
}
