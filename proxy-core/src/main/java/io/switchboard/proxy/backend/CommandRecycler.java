package io.switchboard.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.switchboard.routing.CommandSpec;
import java.util.ArrayDeque;

/**
 * Forwarded commands, reused per event loop once their reply is written: they were 64 of the 88
 * heap bytes the proxy allocated per request at P16.
 */
public final class CommandRecycler {

  /** Enough for every client's pipeline in steady state. */
  private static final int MAX_SPARE = 16_384;

  private final ArrayDeque<PendingCommand> spare = new ArrayDeque<>();

  /** A command to forward: a recycled one when there is one. */
  public PendingCommand command(
      CommandOwner owner, CommandSpec spec, ByteBuf request, long startedAtNanos) {
    PendingCommand command = spare.pollLast();
    if (command == null) {
      return new PendingCommand(owner, spec, request, startedAtNanos);
    }
    command.reuse(owner, spec, request, startedAtNanos);
    return command;
  }

  /** Takes back a command whose reply was written, if nothing else can refer to it. */
  public void recycle(PendingCommand command) {
    if (command.recyclable() && spare.size() < MAX_SPARE) {
      command.session = null;
      command.spec = null;
      spare.addLast(command);
    }
  }

  int spare() {
    return spare.size();
  }
}
