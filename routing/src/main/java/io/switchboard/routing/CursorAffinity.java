package io.switchboard.routing;

import io.switchboard.config.HostAndPort;

/**
 * SCAN, SSCAN, HSCAN and ZSCAN continue on the node that issued the cursor: a cursor means nothing
 * elsewhere. One per session.
 */
public final class CursorAffinity {

  private HostAndPort node;

  /** Whether the request continues an iteration: a cursor other than "0". */
  public static boolean continues(CommandSpec spec, CommandArgs args) {
    int length = args.select(spec.name().equals("SCAN") ? 1 : 2);
    return !(length == 1 && args.byteAt(0) == '0');
  }

  /** Whether a cursor command was served since the session began (or RESET). */
  public boolean issued() {
    return node != null;
  }

  /** A cursor command went to {@code served}. */
  public void served(HostAndPort served) {
    node = served;
  }

  /**
   * Where a continued iteration goes: the node that issued the cursor while it serves the shard,
   * even if it now lags; null when it left the shard (the primary serves, and the client's cursor
   * is then the primary's problem, as after a failover).
   */
  public HostAndPort node(Shard shard) {
    if (node == null) {
      return null;
    }
    return node.equals(shard.primary()) || shard.replicas().contains(node) ? node : null;
  }

  /** RESET: iterations start over. */
  public void forget() {
    node = null;
  }
}
