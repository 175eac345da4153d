package io.switchboard.routing;

/**
 * What a request is: its command, or its subcommand for container commands ({@code CLIENT SETNAME},
 * {@code SCRIPT LOAD}), found in a command table. The one lookup the proxy and its benchmark both
 * run per request.
 */
public final class Commands {

  private Commands() {}

  /**
   * The spec of the request's command; {@link CommandSpec#UNKNOWN} when the table does not know it.
   * A container command with an unknown subcommand stays the container.
   */
  public static CommandSpec classify(CommandTable table, CommandArgs args) {
    CommandSpec spec = table.lookup(args, 0);
    if (spec.subcommands() != null && args.count() > 1) {
      CommandSpec sub = spec.subcommands().lookup(args, 1);
      if (sub != CommandSpec.UNKNOWN) {
        return sub;
      }
    }
    return spec;
  }
}
