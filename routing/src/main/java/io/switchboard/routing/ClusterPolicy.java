package io.switchboard.routing;

/**
 * What cluster mode does with the commands a single slot cannot serve. A command whose keys span
 * slots is split per slot when its meaning allows ({@link #split}), else refused with Redis
 * Cluster's own CROSSSLOT error; a keyless command about "the server" runs on every primary and the
 * answers are merged ({@link #everyPrimary}); other keyless commands go to one primary. The
 * README's "Redis Cluster" section has this table in words.
 */
public final class ClusterPolicy {

  /** Redis Cluster's error for keys in several slots, word for word. */
  public static final String CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";

  /** Redis Cluster's error for SELECT other than 0, word for word. */
  public static final String SELECT = "ERR SELECT is not allowed in cluster mode";

  /** How the answers of the parts make the client's one answer. */
  public enum Merge {
    /** The first error, else the first answer (all alike: OK, a script's SHA, PONG). */
    SAME,
    /** Integers added up (DEL, EXISTS, DBSIZE). */
    SUM,
    /** Arrays joined (KEYS). */
    CONCAT,
    /** Arrays of 0/1 combined element by element, 1 only where every part has 1. */
    AND,
    /** MGET: each key's value put back where the client asked for it. */
    BY_KEY_POSITION,
    /** INFO: the first primary's, keyspace counts added up, a Cluster section naming the shards. */
    INFO
  }

  private ClusterPolicy() {}

  /** How a command with keys in several slots is split per slot, or null: it gets CROSSSLOT. */
  public static Merge split(CommandSpec spec) {
    return switch (spec.name()) {
      case "MGET" -> Merge.BY_KEY_POSITION;
      case "MSET" -> Merge.SAME;
      case "DEL", "UNLINK", "EXISTS", "TOUCH" -> Merge.SUM;
      default -> null;
    };
  }

  /** How a keyless command runs on every primary, or null when one primary answers it. */
  public static Merge everyPrimary(CommandSpec spec) {
    return switch (spec.name()) {
      case "DBSIZE" -> Merge.SUM;
      case "KEYS" -> Merge.CONCAT;
      case "FLUSHALL",
          "FLUSHDB",
          "SCRIPT|LOAD",
          "SCRIPT|FLUSH",
          "FUNCTION|LOAD",
          "FUNCTION|DELETE",
          "FUNCTION|FLUSH",
          "FUNCTION|RESTORE",
          "CONFIG|SET",
          "CONFIG|RESETSTAT",
          "CONFIG|REWRITE",
          "PING" ->
          Merge.SAME;
      case "SCRIPT|EXISTS" -> Merge.AND;
      case "INFO" -> Merge.INFO;
      default -> null;
    };
  }

  /** The cluster commands the proxy answers itself, as one node that holds every slot. */
  public static boolean answeredLocally(CommandSpec spec) {
    return switch (spec.name()) {
      case "CLUSTER|INFO",
          "CLUSTER|SLOTS",
          "CLUSTER|SHARDS",
          "CLUSTER|NODES",
          "CLUSTER|MYID",
          "CLUSTER|KEYSLOT",
          "READONLY",
          "READWRITE",
          "ASKING" ->
          true;
      default -> false;
    };
  }
}
