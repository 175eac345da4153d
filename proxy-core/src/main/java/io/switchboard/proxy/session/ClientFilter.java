package io.switchboard.proxy.session;

import io.switchboard.proxy.resp.ArgCursor;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which clients a CLIENT LIST or CLIENT KILL names, parsed as Redis parses it. Every field set must
 * match. Built on the asking session's loop, then tested on every loop: immutable.
 *
 * @param ids client ids (empty: any)
 * @param type {@code normal}, {@code pubsub}, {@code master} or {@code replica}, or null
 * @param maxAgeSeconds only clients connected longer than this; 0 for any (Redis 7.4's MAXAGE)
 * @param skip a session never matched (SKIPME yes), or null
 */
record ClientFilter(
    Set<Long> ids,
    String type,
    String addr,
    String laddr,
    String user,
    long maxAgeSeconds,
    ClientSession skip) {

  /** A request Redis would refuse, with its error text. */
  static final class Refused extends Exception {
    Refused(String error) {
      super(error, null, false, false);
    }
  }

  static final ClientFilter ALL = new ClientFilter(Set.of(), null, null, null, null, 0, null);

  /** CLIENT LIST [TYPE type | ID id [id ...]]; {@code args} is on the subcommand. */
  static ClientFilter list(ArgCursor args) throws Refused {
    if (args.count() == 2) {
      return ALL;
    }
    args.advance();
    if (args.count() == 4 && args.is("TYPE")) {
      return new ClientFilter(Set.of(), type(args.seek(3).string()), null, null, null, 0, null);
    }
    if (args.count() > 3 && args.is("ID")) {
      Set<Long> ids = new HashSet<>();
      while (args.advance()) {
        long id = args.longValue();
        if (id == Long.MIN_VALUE) {
          throw new Refused("ERR Invalid client ID");
        }
        ids.add(id);
      }
      return new ClientFilter(Set.copyOf(ids), null, null, null, null, 0, null);
    }
    throw new Refused("ERR syntax error");
  }

  /**
   * The new form of CLIENT KILL: filter/value pairs; SKIPME defaults to yes. {@code userExists}
   * answers whether a USER names a user.
   */
  static ClientFilter kill(ArgCursor args, ClientSession self, Predicate<String> userExists)
      throws Refused {
    if (args.count() % 2 != 0) {
      throw new Refused("ERR syntax error");
    }
    Set<Long> ids = Set.of();
    String type = null;
    String addr = null;
    String laddr = null;
    String user = null;
    long maxAge = 0;
    boolean skipMe = true;
    while (args.advance()) {
      String option = args.string().toUpperCase(Locale.ROOT);
      args.advance();
      String value = args.string();
      switch (option) {
        case "ID" -> {
          long id = args.longValue();
          if (id < 1) {
            throw new Refused("ERR client-id should be greater than 0");
          }
          ids = Set.of(id);
        }
        case "TYPE" -> type = type(value);
        case "ADDR" -> addr = value;
        case "LADDR" -> laddr = value;
        case "USER" -> {
          if (!userExists.test(value)) {
            throw new Refused("ERR No such user '" + value + "'");
          }
          user = value;
        }
        case "MAXAGE" -> {
          maxAge = args.longValue();
          if (maxAge == Long.MIN_VALUE) {
            throw new Refused("ERR value is not an integer or out of range");
          }
        }
        case "SKIPME" -> {
          if (args.is("YES")) {
            skipMe = true;
          } else if (args.is("NO")) {
            skipMe = false;
          } else {
            throw new Refused("ERR syntax error");
          }
        }
        default -> throw new Refused("ERR syntax error");
      }
    }
    return new ClientFilter(ids, type, addr, laddr, user, maxAge, skipMe ? self : null);
  }

  /** The old form, CLIENT KILL ip:port: that address, the asking client included. */
  static ClientFilter address(String addr) {
    return new ClientFilter(Set.of(), null, addr, null, null, 0, null);
  }

  private static String type(String name) throws Refused {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "normal" -> "normal";
      case "pubsub" -> "pubsub";
      case "master" -> "master";
      case "slave", "replica" -> "replica";
      default -> throw new Refused("ERR Unknown client type '" + name + "'");
    };
  }

  boolean matches(ClientSession session, long nowMillis) {
    return session != skip
        && (ids.isEmpty() || ids.contains(session.id))
        && (type == null || type.equals(session.subscription().active() ? "pubsub" : "normal"))
        && (addr == null || addr.equals(ClientInfo.address(session.channel().remoteAddress())))
        && (laddr == null || laddr.equals(ClientInfo.address(session.channel().localAddress())))
        && (user == null || user.equals(ClientInfo.userName(session)))
        && (maxAgeSeconds == 0 || (nowMillis - session.connectedAtMillis) / 1000 > maxAgeSeconds);
  }
}
