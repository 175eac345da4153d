package io.switchboard.proxy.session;

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

  /** Where a command queued inside MULTI runs. */
  enum Placement {
    /** Queued on the server, which answers it in EXEC's reply. */
    SERVER,
    /** Answered by the proxy at EXEC, in its place (here). */
    AT_EXEC,
    /** Refused while queueing, which dooms the transaction (README). */
    REFUSED
  }

  /**
   * Where {@code spec} runs inside MULTI. Only commands the proxy answers at once can run at EXEC;
   * those answered later (from every event loop, or by the primary: CLIENT LIST, KILL, UNBLOCK, and
   * AUTH when the servers check it) are refused, as are a protocol switch in the middle of EXEC's
   * own reply (HELLO), replies turned off inside it (CLIENT REPLY), and the subscribe family.
   */
  static Placement placement(CommandSpec spec, boolean authAtServer) {
    if (spec.has(CommandSpec.PUBSUB)) {
      return Placement.REFUSED;
    }
    if (!spec.has(CommandSpec.CONNECTION)) {
      return Placement.SERVER;
    }
    return switch (spec.name()) {
      // The server answers these as the proxy would (SELECT, QUIT and RESET are the caller's).
      case "PING", "ECHO", "SELECT", "QUIT", "RESET" -> Placement.SERVER;
      case "HELLO", "CLIENT|LIST", "CLIENT|KILL", "CLIENT|UNBLOCK", "CLIENT|REPLY" ->
          Placement.REFUSED;
      case "AUTH" -> authAtServer ? Placement.REFUSED : Placement.AT_EXEC;
      default -> Placement.AT_EXEC;
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

  /** The steps {@link #takeAll} handed to an EXEC, back from the command's attachment. */
  @SuppressWarnings("unchecked") // only takeAll's lists are attached
  static List<Step> steps(List<?> attached) {
    return (List<Step>) attached;
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
