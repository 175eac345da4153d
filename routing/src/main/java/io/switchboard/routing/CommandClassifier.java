package io.switchboard.routing;

import java.util.Collection;
import java.util.Locale;
import java.util.Set;

/**
 * Turns what Redis says about a command ({@code COMMAND} flags and ACL categories) into the proxy's
 * routing flags. The same rules apply to the built-in table and to a server's own {@code COMMAND}
 * reply, so module commands and commands of newer servers are classified alike.
 */
final class CommandClassifier {

  /**
   * Answered by the proxy from session state; see LocalCommands in proxy-core. Every CLIENT
   * subcommand is too, but for {@link #SERVER_WIDE_CLIENT}.
   */
  private static final Set<String> LOCAL =
      Set.of(
          "PING",
          "ECHO",
          "QUIT",
          "SELECT",
          "HELLO",
          "AUTH",
          "CLIENT",
          "RESET",
          "ACL|WHOAMI",
          "SLOWLOG|GET",
          "SLOWLOG|LEN",
          "SLOWLOG|RESET");

  /** CLIENT subcommands about the server rather than one connection: the primary answers. */
  private static final Set<String> SERVER_WIDE_CLIENT =
      Set.of("CLIENT|PAUSE", "CLIENT|UNPAUSE", "CLIENT|HELP");

  /** Need a server connection of their own for good: replication streams and server taps. */
  private static final Set<String> UNSUPPORTED =
      Set.of("MONITOR", "SYNC", "PSYNC", "REPLCONF", "REPLICAOF", "SLAVEOF");

  /** Block without Redis flagging them "blocking" (they wait on replication, not on keys). */
  private static final Set<String> WAITS = Set.of("WAIT", "WAITAOF");

  private static final Set<String> SUBSCRIBER_MODE =
      Set.of(
          "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE");

  /**
   * Read-only, but answered from how the node stores the key: encodings follow each node's own
   * configuration, access times and frequencies each node's own reads, and a replica counts keys
   * whose time ran out until the primary's DEL reaches it.
   */
  private static final Set<String> NODE_STATE =
      Set.of(
          "OBJECT|ENCODING",
          "OBJECT|FREQ",
          "OBJECT|IDLETIME",
          "OBJECT|REFCOUNT",
          "MEMORY|USAGE",
          "DBSIZE");

  /** Node configuration a client sets for "the server": every data node gets it. */
  private static final Set<String> EVERY_NODE =
      Set.of("CONFIG|SET", "CONFIG|REWRITE", "CONFIG|RESETSTAT");

  private static final Set<String> CURSORS = Set.of("SCAN", "SSCAN", "HSCAN", "ZSCAN");

  private CommandClassifier() {}

  static CommandSpec classify(
      String rawName,
      int arity,
      Collection<String> redisFlags,
      Collection<String> categories,
      int firstKey,
      int lastKey,
      int keyStep) {
    String name = rawName.toUpperCase(Locale.ROOT);
    int flags = 0;
    if (redisFlags.contains("write")) {
      flags |= CommandSpec.WRITE;
    } else if (redisFlags.contains("readonly")) {
      flags |= CommandSpec.READONLY;
    }
    if (redisFlags.contains("blocking") || WAITS.contains(name)) {
      flags |= CommandSpec.BLOCKING;
    }
    if (redisFlags.contains("admin")) {
      flags |= CommandSpec.ADMIN;
    }
    if (categories.contains("@transaction")) {
      flags |= CommandSpec.TRANSACTION;
    }
    if (SUBSCRIBER_MODE.contains(name)) {
      flags |= CommandSpec.PUBSUB;
    }
    if (LOCAL.contains(name)
        || (name.startsWith("CLIENT|") && !SERVER_WIDE_CLIENT.contains(name))) {
      flags |= CommandSpec.CONNECTION;
    }
    if (UNSUPPORTED.contains(name)) {
      flags |= CommandSpec.UNSUPPORTED;
    }
    if (NODE_STATE.contains(name)) {
      flags |= CommandSpec.NODE_STATE;
    }
    if (EVERY_NODE.contains(name)) {
      flags |= CommandSpec.EVERY_NODE;
    }
    if (redisFlags.contains("skip_slowlog")) {
      flags |= CommandSpec.SKIP_SLOWLOG;
    }
    if (redisFlags.contains("movablekeys")) {
      flags |= CommandSpec.MOVABLE_KEYS;
    }
    if (CURSORS.contains(name)) {
      flags |= CommandSpec.CURSOR;
    }
    if (name.equals("EVALSHA") || name.equals("EVALSHA_RO")) {
      flags |= CommandSpec.SCRIPT_SHA;
    }
    if (name.equals("EVAL") || name.equals("EVAL_RO")) {
      flags |= CommandSpec.SCRIPT_BODY;
    }
    if (name.equals("SCRIPT|LOAD") || name.equals("SCRIPT|FLUSH")) {
      flags |= CommandSpec.SCRIPT_CACHE;
    }
    return new CommandSpec(name, arity, flags, firstKey, lastKey, keyStep, null, null);
  }
}
