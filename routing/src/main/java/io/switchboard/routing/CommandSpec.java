package io.switchboard.routing;

/**
 * What the proxy knows about one command: its canonical upper-case name ({@code CONTAINER|SUB} for
 * subcommands), Redis arity (negative means "at least"), routing flags, legacy key positions
 * (first, last, step; 0 when the command has no fixed key positions) and, for container commands
 * such as {@code SCRIPT} or {@code OBJECT}, their subcommands. Instances are immutable, shared and
 * compared by identity on the hot path.
 *
 * @param denied why the proxy refuses the command (configured deny list), or null
 */
public record CommandSpec(
    String name,
    int arity,
    int flags,
    int firstKey,
    int lastKey,
    int keyStep,
    CommandTable subcommands,
    String denied) {

  /** Changes data; goes to the primary. */
  public static final int WRITE = 1;

  /** Reads only; may go to a replica when the read policy allows. */
  public static final int READONLY = 1 << 1;

  /** May block the connection until another client acts (needs an exclusive connection). */
  public static final int BLOCKING = 1 << 2;

  /** Changes the connection into or within subscriber mode (the subscribe family). */
  public static final int PUBSUB = 1 << 3;

  /** Part of MULTI/EXEC/WATCH: state that lives on one server connection. */
  public static final int TRANSACTION = 1 << 4;

  /** Connection state the proxy owns and answers itself. */
  public static final int CONNECTION = 1 << 5;

  /** Cannot work through a multiplexing proxy at all (replication streams, MONITOR). */
  public static final int UNSUPPORTED = 1 << 6;

  /** Server administration (Redis's {@code admin} flag); goes to the primary. */
  public static final int ADMIN = 1 << 7;

  /** Takes a cursor that only means something on the node that issued it (SCAN family). */
  public static final int CURSOR = 1 << 8;

  /** Runs a cached Lua script by SHA1 and may answer NOSCRIPT (EVALSHA, EVALSHA_RO). */
  public static final int SCRIPT_SHA = 1 << 9;

  /** Runs a Lua script given in full, whose body the proxy remembers (EVAL, EVAL_RO). */
  public static final int SCRIPT_BODY = 1 << 10;

  /** Changes the script cache of one node: SCRIPT LOAD, SCRIPT FLUSH (must reach every node). */
  public static final int SCRIPT_CACHE = 1 << 11;

  /**
   * Describes how one node stores a key rather than the data (OBJECT ENCODING, MEMORY USAGE,
   * DBSIZE): nodes differ, so the primary answers, the node the session's writes went to.
   */
  public static final int NODE_STATE = 1 << 12;

  /**
   * Changes the configuration of the node it runs on, which the client means for the server as a
   * whole (CONFIG SET): sent to every data node, the primary's reply answers.
   */
  public static final int EVERY_NODE = 1 << 13;

  /**
   * Its keys are not all at fixed positions (Redis's {@code movablekeys}: EVAL's numkeys, XREAD's
   * STREAMS, SORT's STORE): {@link KeyPositions} finds them from the arguments.
   */
  public static final int MOVABLE_KEYS = 1 << 14;

  /**
   * Redis keeps it out of its slow log ({@code skip_slowlog}: EXEC, whose commands are logged one
   * by one, and commands that carry secrets); the proxy's slow log does the same.
   */
  public static final int SKIP_SLOWLOG = 1 << 15;

  /** Anything the table does not know: forwarded to the primary, as the safe default. */
  public static final CommandSpec UNKNOWN = new CommandSpec("", -1, 0, 0, 0, 0, null, null);

  public CommandSpec(String name, int arity, int flags) {
    this(name, arity, flags, 0, 0, 0, null, null);
  }

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** Whether replicas may answer it: read-only and nothing that needs a connection's state. */
  public boolean isRead() {
    return (flags & (READONLY | WRITE | BLOCKING | PUBSUB | TRANSACTION | CONNECTION | NODE_STATE))
        == READONLY;
  }

  /** Whether {@code argc} arguments (name included) satisfy the arity. */
  public boolean arityAccepts(int argc) {
    return arity >= 0 ? argc == arity : argc >= -arity;
  }

  CommandSpec withSubcommands(CommandTable table) {
    return new CommandSpec(name, arity, flags, firstKey, lastKey, keyStep, table, denied);
  }

  CommandSpec deny(String reason) {
    return new CommandSpec(name, arity, flags, firstKey, lastKey, keyStep, subcommands, reason);
  }
}
