package io.switchboard.routing;

import java.util.Locale;

/** The route of a command, and the proxy's refusals, from the command and its arguments. */
public final class Router {

  private Router() {}

  /**
   * The command's route. {@code args} are the request's, positioned at the command name or its
   * subcommand ({@link Commands#classify}); XREAD and XREADGROUP are read on to find BLOCK.
   */
  public static Route route(CommandSpec spec, CommandArgs args) {
    if (refusal(spec) != null) {
      return Route.REFUSED;
    }
    if (spec.has(CommandSpec.CONNECTION)) {
      return Route.LOCAL;
    }
    if (spec.has(CommandSpec.TRANSACTION)) {
      return Route.TRANSACTION;
    }
    if (spec.has(CommandSpec.PUBSUB)) {
      return Route.SUBSCRIPTION;
    }
    if (spec.has(CommandSpec.BLOCKING) && blocks(spec, args)) {
      return Route.EXCLUSIVE;
    }
    if (spec.has(CommandSpec.SCRIPT_CACHE)) {
      return Route.SCRIPT_CACHE;
    }
    if (spec.has(CommandSpec.EVERY_NODE)) {
      return Route.EVERY_NODE;
    }
    return spec.isRead() ? Route.READ : Route.PRIMARY;
  }

  /** XREAD and XREADGROUP block only with a BLOCK option; other blocking commands always may. */
  private static boolean blocks(CommandSpec spec, CommandArgs args) {
    if (!spec.name().startsWith("XREAD")) {
      return true;
    }
    for (int i = 1; i < args.count(); i++) {
      if (args.select(i) == 5 && upper(args, 0) == 'B' && isBlock(args)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isBlock(CommandArgs args) {
    return upper(args, 1) == 'L'
        && upper(args, 2) == 'O'
        && upper(args, 3) == 'C'
        && upper(args, 4) == 'K';
  }

  private static byte upper(CommandArgs args, int i) {
    byte b = args.byteAt(i);
    return b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
  }

  /** Why the proxy refuses the command whatever the session's state, or null. */
  public static String refusal(CommandSpec spec) {
    if (spec.denied() != null) {
      return "ERR '" + display(spec) + "' is " + spec.denied();
    }
    if (spec.has(CommandSpec.UNSUPPORTED)) {
      return "ERR '"
          + display(spec)
          + "' is not supported by Switchboard: it needs a server connection of its own"
          + " (replication stream or server tap)";
    }
    return null;
  }

  /** The command as Redis's errors show it: lower case, subcommand after a space. */
  public static String display(CommandSpec spec) {
    return spec.name().replace('|', ' ').toLowerCase(Locale.ROOT);
  }
}
