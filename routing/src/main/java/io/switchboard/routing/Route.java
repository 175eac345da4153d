package io.switchboard.routing;

/**
 * Where a command goes, decided from the command alone (the session's state, such as an open
 * transaction, comes on top of it). A value: proxy-core acts on it.
 */
public enum Route {
  /** The proxy refuses it whatever the session: a deny list, or a command it cannot carry. */
  REFUSED(false, false),
  /** The proxy answers it from the session's own state (CLIENT, HELLO, SELECT, ...). */
  LOCAL(false, false),
  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH: state on one leased primary connection. */
  TRANSACTION(true, false),
  /** The subscribe family: the session's subscription connection. */
  SUBSCRIPTION(true, false),
  /** Blocks its connection (BLPOP, XREAD BLOCK, WAIT): borrows a primary connection of its own. */
  EXCLUSIVE(true, false),
  /**
   * Changes one node's script cache (SCRIPT LOAD, SCRIPT FLUSH): every node of the shard gets it,
   * the primary's reply answers.
   */
  SCRIPT_CACHE(false, true),
  /** Node configuration meant for the whole server (CONFIG SET): every node; primary answers. */
  EVERY_NODE(false, true),
  /** Writes, and whatever the table does not call a read. */
  PRIMARY(false, false),
  /** A read: the read policy picks the primary or a replica. */
  READ(false, false);

  private final boolean exclusive;
  private final boolean broadcast;

  Route(boolean exclusive, boolean broadcast) {
    this.exclusive = exclusive;
    this.broadcast = broadcast;
  }

  /** Needs a backend connection of the session's own, not a shared one. */
  public boolean exclusive() {
    return exclusive;
  }

  /** Goes to every node of the shard, not to one. */
  public boolean broadcast() {
    return broadcast;
  }
}
