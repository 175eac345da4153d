package io.switchboard.routing;

/**
 * What the proxy knows about one command: its canonical upper-case name, Redis arity (negative
 * means "at least") and flags. Instances are shared and compared by identity on the hot path.
 */
public record CommandSpec(String name, int arity, int flags) {

  /** Changes data; goes to the primary. */
  public static final int WRITE = 1;

  /** Reads only; may go to a replica when the read policy allows. */
  public static final int READONLY = 1 << 1;

  /** May block the connection until another client acts (needs an exclusive connection). */
  public static final int BLOCKING = 1 << 2;

  /** Changes the connection into or within subscriber mode. */
  public static final int PUBSUB = 1 << 3;

  /** Part of MULTI/EXEC/WATCH: state that lives on one server connection. */
  public static final int TRANSACTION = 1 << 4;

  /** Connection state the proxy owns and answers itself. */
  public static final int CONNECTION = 1 << 5;

  /** Cannot work through a multiplexing proxy at all (replication streams, MONITOR). */
  public static final int UNSUPPORTED = 1 << 6;

  /** Anything the table does not know: forwarded to the primary, as the safe default. */
  public static final CommandSpec UNKNOWN = new CommandSpec("", -1, 0);

  public boolean has(int flag) {
    return (flags & flag) != 0;
  }

  /** Whether {@code argc} arguments (name included) satisfy the arity. */
  public boolean arityAccepts(int argc) {
    return arity >= 0 ? argc == arity : argc >= -arity;
  }
}
