package io.switchboard.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.switchboard.proxy.resp.ArgCursor;
import io.switchboard.proxy.resp.Replies;
import io.switchboard.proxy.resp.ReplyElements;
import io.switchboard.routing.CommandSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Commands the proxy answers itself (CLIENT SETNAME, CLIENT ID, ACL WHOAMI, AUTH, ...) queued
 * inside MULTI. Redis runs them at EXEC, in their place among the others. The server's EXEC reply
 * holds only the commands that were forwarded, so these run when that reply arrives, and their
 * answers are spliced in at their positions. When the transaction does not run (a nil or an error
 * instead of the array), neither do they.
 */
final class LocalStepsInMulti {

  /** One queued command: its place in the transaction, and a heap copy of its request. */
  record Step(int position, CommandSpec spec, ByteBuf request) {}

  private List<Step> steps;

  /** Whether {@code spec}, a command the proxy answers, is queued here inside MULTI. */
  static boolean runsAtExec(CommandSpec spec) {
    return switch (spec.name()) {
      // Forwarded as before: the server answers these as the proxy would.
      case "PING", "ECHO", "SELECT", "QUIT", "RESET" -> false;
      // Not inside MULTI (README): a protocol switch mid-reply, answers from every event loop,
      // and replies turned off in the middle of EXEC's own.
      case "HELLO", "CLIENT|LIST", "CLIENT|KILL", "CLIENT|REPLY" -> false;
      default -> spec.has(CommandSpec.CONNECTION);
    };
  }

  /** Queues a copy of {@code request} (the caller keeps and releases the original). */
  void add(int position, CommandSpec spec, ByteBuf request) {
    if (steps == null) {
      steps = new ArrayList<>();
    }
    steps.add(new Step(position, spec, Unpooled.copiedBuffer(request)));
  }

  /** The steps of the transaction being executed, handed to its EXEC; none are left here. */
  List<Step> takeAll() {
    List<Step> taken = steps;
    steps = null;
    return taken;
  }

  void clear() {
    steps = null;
  }

  /**
   * EXEC's reply with the queued local commands run and their answers in place; {@code reply} is
   * released. Anything but an array (the transaction did not run) comes back unchanged.
   */
  static ByteBuf splice(
      ByteBuf reply, List<Step> steps, LocalCommands local, ByteBufAllocator alloc) {
    if (reply.getByte(reply.readerIndex()) != '*'
        || reply.getByte(reply.readerIndex() + 1) == '-') {
      return reply;
    }
    List<ByteBuf> forwarded = ReplyElements.of(reply);
    int total = forwarded.size() + steps.size();
    ByteBuf out = alloc.buffer(reply.readableBytes() + 64 * steps.size());
    Replies.writeHeader(out, '*', total);
    ArgCursor args = new ArgCursor();
    int next = 0;
    int fromServer = 0;
    for (int i = 0; i < total; i++) {
      if (next < steps.size() && steps.get(next).position() == i) {
        Step step = steps.get(next++);
        ByteBuf answer = local.answer(step.spec(), args.reset(step.request())).reply;
        out.writeBytes(answer);
        answer.release();
      } else if (fromServer < forwarded.size()) {
        out.writeBytes(forwarded.get(fromServer++));
      }
    }
    reply.release();
    return out;
  }
}
