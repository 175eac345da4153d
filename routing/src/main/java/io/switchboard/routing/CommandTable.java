package io.switchboard.routing;

import static io.switchboard.routing.CommandSpec.BLOCKING;
import static io.switchboard.routing.CommandSpec.CONNECTION;
import static io.switchboard.routing.CommandSpec.PUBSUB;
import static io.switchboard.routing.CommandSpec.READONLY;
import static io.switchboard.routing.CommandSpec.TRANSACTION;
import static io.switchboard.routing.CommandSpec.UNSUPPORTED;
import static io.switchboard.routing.CommandSpec.WRITE;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Command name to {@link CommandSpec}, looked up case-insensitively straight from the request
 * bytes: an open-addressing table of upper-case names, so the hot path builds no strings.
 */
public final class CommandTable {

  private static final CommandTable BUILT_IN = new CommandTable(builtInSpecs());

  private final byte[][] names;
  private final CommandSpec[] specs;
  private final int mask;

  CommandTable(List<CommandSpec> all) {
    int size = Integer.highestOneBit(Math.max(4, all.size() * 4) - 1) << 1;
    names = new byte[size][];
    specs = new CommandSpec[size];
    mask = size - 1;
    for (CommandSpec spec : all) {
      byte[] name = spec.name().getBytes(StandardCharsets.US_ASCII);
      int slot = hash(name) & mask;
      while (names[slot] != null) {
        if (java.util.Arrays.equals(names[slot], name)) {
          throw new IllegalArgumentException("duplicate command " + spec.name());
        }
        slot = (slot + 1) & mask;
      }
      names[slot] = name;
      specs[slot] = spec;
    }
  }

  public static CommandTable builtIn() {
    return BUILT_IN;
  }

  /**
   * Looks up the name in {@code buf[index, index+length)}; {@link CommandSpec#UNKNOWN} if absent.
   */
  public CommandSpec lookup(ByteBuf buf, int index, int length) {
    int h = 0;
    for (int i = 0; i < length; i++) {
      h = 31 * h + upper(buf.getByte(index + i));
    }
    for (int slot = h & mask; names[slot] != null; slot = (slot + 1) & mask) {
      byte[] candidate = names[slot];
      if (candidate.length == length && matches(candidate, buf, index)) {
        return specs[slot];
      }
    }
    return CommandSpec.UNKNOWN;
  }

  /** Looks up a name given as text (tests, config). */
  public CommandSpec lookup(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    return lookup(io.netty.buffer.Unpooled.wrappedBuffer(bytes), 0, bytes.length);
  }

  private static boolean matches(byte[] candidate, ByteBuf buf, int index) {
    for (int i = 0; i < candidate.length; i++) {
      if (candidate[i] != upper(buf.getByte(index + i))) {
        return false;
      }
    }
    return true;
  }

  private static int hash(byte[] upperName) {
    int h = 0;
    for (byte b : upperName) {
      h = 31 * h + b;
    }
    return h;
  }

  private static byte upper(byte b) {
    return b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
  }

  private static CommandSpec spec(String name, int arity, int flags) {
    return new CommandSpec(name, arity, flags);
  }

  /**
   * The commands whose handling differs from "forward to the primary". Issue #3 grows this into the
   * full Redis 7 table; until then an absent command is forwarded to the primary.
   */
  private static List<CommandSpec> builtInSpecs() {
    return List.of(
        // Connection state owned by the proxy.
        spec("PING", -1, CONNECTION),
        spec("ECHO", 2, CONNECTION),
        spec("QUIT", -1, CONNECTION),
        spec("SELECT", 2, CONNECTION),
        spec("HELLO", -1, CONNECTION),
        spec("AUTH", -2, CONNECTION),
        spec("CLIENT", -2, CONNECTION),
        spec("RESET", 1, CONNECTION),
        // Transactions: state on one server connection.
        spec("MULTI", 1, TRANSACTION),
        spec("EXEC", 1, TRANSACTION),
        spec("DISCARD", 1, TRANSACTION),
        spec("WATCH", -2, TRANSACTION),
        spec("UNWATCH", 1, TRANSACTION),
        // Blocking: would stall every session sharing the connection.
        spec("BLPOP", -3, WRITE | BLOCKING),
        spec("BRPOP", -3, WRITE | BLOCKING),
        spec("BRPOPLPUSH", 4, WRITE | BLOCKING),
        spec("BLMOVE", 6, WRITE | BLOCKING),
        spec("BLMPOP", -5, WRITE | BLOCKING),
        spec("BZPOPMIN", -3, WRITE | BLOCKING),
        spec("BZPOPMAX", -3, WRITE | BLOCKING),
        spec("BZMPOP", -5, WRITE | BLOCKING),
        spec("WAIT", 3, BLOCKING),
        spec("WAITAOF", 4, BLOCKING),
        spec("XREAD", -4, READONLY | BLOCKING),
        spec("XREADGROUP", -7, WRITE | BLOCKING),
        // Subscriber mode.
        spec("SUBSCRIBE", -2, PUBSUB),
        spec("PSUBSCRIBE", -2, PUBSUB),
        spec("SSUBSCRIBE", -2, PUBSUB),
        spec("UNSUBSCRIBE", -1, PUBSUB),
        spec("PUNSUBSCRIBE", -1, PUBSUB),
        spec("SUNSUBSCRIBE", -1, PUBSUB),
        // Replication streams and server-wide taps cannot share a multiplexed connection.
        spec("MONITOR", 1, UNSUPPORTED),
        spec("SYNC", 1, UNSUPPORTED),
        spec("PSYNC", -3, UNSUPPORTED),
        spec("REPLCONF", -1, UNSUPPORTED),
        spec("REPLICAOF", 3, UNSUPPORTED),
        spec("SLAVEOF", 3, UNSUPPORTED),
        // Plain commands the proxy itself depends on.
        spec("GET", 2, READONLY),
        spec("SET", -3, WRITE));
  }
}
